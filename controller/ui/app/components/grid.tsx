import { t } from '../i18n.js';
import { label } from '../labels.js';
import { inkOn, type MetricId, metric, type SlotFigures, slotSwatch } from '../scales.js';

export interface GridSlot extends SlotFigures {
  slot: string;
  model?: string | null;
  serial?: string | null;
  assetCode?: string | null;
  /** What its PDU outlet meters, when one does. */
  outletW?: number | null;
}

export interface GridRack {
  rack: string;
  slots: GridSlot[];
}

/**
 * The container as a technician sees it: one column per rack, one cell per slot, coloured by the
 * chosen metric. Each cell carries its rack, slot and value as data attributes so tests can compare
 * them with the API.
 */
export function ContainerGrid({
  racks,
  metricId,
  selected,
  onPick,
}: {
  racks: GridRack[];
  metricId: MetricId;
  selected: string | null;
  onPick: (slot: GridSlot, rack: string) => void;
}) {
  const m = metric(metricId);
  return (
    <div class="racks" data-testid="container-grid">
      {racks.map((r) => (
        <div class="rack" key={r.rack} data-rack={r.rack}>
          <div class="rack-name">{r.rack}</div>
          {r.slots.map((s) => {
            const sw = slotSwatch(metricId, s);
            const text = s.minerId === null ? '' : (m.text(s) ?? '–');
            return (
              <button
                type="button"
                key={s.slot}
                class={'cell' + (s.minerId !== null && s.minerId === selected ? ' selected' : '')}
                style={{ background: sw.colour, color: inkOn(sw.colour) }}
                title={`${r.rack}/${s.slot}: ${s.minerId === null ? t('grid.empty') : [s.assetCode, s.model, s.serial, label('minerState', s.status), drawing(s)].filter(Boolean).join(' · ')} · ${bandName(sw)}`}
                data-rack={r.rack}
                data-slot={s.slot}
                data-miner={s.minerId ?? ''}
                data-status={s.status ?? ''}
                data-chip-temp={s.chipTempMaxC ?? ''}
                data-band={sw.label}
                disabled={s.minerId === null}
                onClick={() => onPick(s, r.rack)}
              >
                <span class="slot-name">{s.slot}</span>
                <span class="slot-value">{text}</span>
              </button>
            );
          })}
        </div>
      ))}
    </div>
  );
}

export function Legend({ metricId }: { metricId: MetricId }) {
  const m = metric(metricId);
  return (
    <ul class="legend">
      {m.legend.map((b) => (
        <li key={b.label}>
          <span class="swatch" style={{ background: b.colour }} />
          {bandName(b)}
        </li>
      ))}
    </ul>
  );
}

/** A band's legend text in the user's language: figures stay as they are, words come from the catalogue. */
function bandName(s: { label: string; key?: string }): string {
  return s.key ? t(s.key) : s.label;
}

/** A unit that does not answer but draws power on its metered outlet: hung, not dead (issue 19 item 1). */
function drawing(s: GridSlot): string | null {
  if (s.status !== 'notAnswering' || !s.outletW || s.outletW < 50) return null;
  return t('grid.drawingNoApi', { kw: (s.outletW / 1000).toFixed(1) });
}
