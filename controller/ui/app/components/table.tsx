import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** Right-align numbers. */
  num?: boolean;
}

/** A plain table from column definitions (label + cell function), one row per item; on a phone each row is a card. */
export function Table<T>({
  rows,
  columns,
  testid,
  empty,
}: {
  rows: T[];
  columns: Column<T>[];
  testid?: string;
  empty: string;
}) {
  if (rows.length === 0)
    return (
      <p class="muted empty" data-testid={testid}>
        {empty}
      </p>
    );
  return (
    <table class="cards" data-testid={testid}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.label} class={c.num ? 'num' : ''}>
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c.label} class={c.num ? 'num' : ''} data-label={c.label}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
