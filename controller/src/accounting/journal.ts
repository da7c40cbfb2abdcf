/** Double-entry journal lines: every transaction's debits equal its credits. */
export interface JournalLine {
  /** Transaction id: `${periodId}/credit|costs|close` or `${periodId}/adj/<n>`. */
  tx: string;
  account: string;
  debitSats: bigint;
  creditSats: bigint;
  memo: string;
}

/** True when every transaction balances and no amount is negative. */
export function journalBalances(
  lines: readonly Pick<JournalLine, 'tx' | 'debitSats' | 'creditSats'>[],
): boolean {
  const sums = new Map<string, bigint>();
  for (const l of lines) {
    if (l.debitSats < 0n || l.creditSats < 0n) return false;
    sums.set(l.tx, (sums.get(l.tx) ?? 0n) + l.debitSats - l.creditSats);
  }
  for (const s of sums.values()) if (s !== 0n) return false;
  return true;
}

/** Balance per account (debit positive). */
export function accountBalances(lines: readonly JournalLine[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const l of lines) out.set(l.account, (out.get(l.account) ?? 0n) + l.debitSats - l.creditSats);
  return out;
}

export interface AdjustmentLine {
  account: string;
  debitSats: bigint;
  creditSats: bigint;
}

/** Validates an adjusting entry: at least two lines, one side each, balanced. Returns errors. */
export function adjustmentErrors(lines: readonly AdjustmentLine[]): string[] {
  const errors: string[] = [];
  if (lines.length < 2) errors.push('an adjustment needs at least two lines');
  let sum = 0n;
  lines.forEach((l, i) => {
    if (!/^(asset|liability|income|expense|equity):[A-Za-z0-9:._-]+$/.test(l.account)) {
      errors.push(
        `line ${i}: account "${l.account}" must start with asset:, liability:, income:, expense: or equity:`,
      );
    }
    if (l.debitSats < 0n || l.creditSats < 0n) errors.push(`line ${i}: amounts must not be negative`);
    if ((l.debitSats === 0n) === (l.creditSats === 0n))
      errors.push(`line ${i}: exactly one of debit or credit`);
    sum += l.debitSats - l.creditSats;
  });
  if (sum !== 0n) errors.push(`debits and credits differ by ${sum} sats`);
  return errors;
}
