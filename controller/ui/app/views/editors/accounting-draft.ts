import { k } from '../../i18n.js';
import type { FieldErrors } from './rules.js';

/**
 * The Accounting screen's entry forms (issue 19 item 6): a pool credit, another cost and a stake
 * entry, each as typed, its checks (the bodies of `POST /credits`, `/costs`
 * (controller/src/accounting/routes/input-routes.ts) and `POST /stakes` (register-routes.ts), field
 * by field) and the body sent. Pure; tested in
 * controller/test/ui-accounting-draft.test.ts.
 */
export interface CreditDraft {
  periodId: string;
  pool: string;
  reference: string;
  amountBtc: string;
}
export interface CostDraft {
  periodId: string;
  description: string;
  currency: string;
  amount: string;
}
export interface StakeDraft {
  stakerId: string;
  nodeId: string;
  amountHss: string;
  /** `YYYY-MM-DDTHH:MM` in the browser's time, as a datetime-local input gives it. */
  effectiveAt: string;
}

/**
 * A non-negative decimal as typed (a comma taken as the point) in integer units of 10^-decimals,
 * as decimal text so satoshis and HSS base units stay exact; null when it is not one.
 */
export function decimalUnits(text: string, decimals: number): string | null {
  const m = /^(\d{1,20})(?:[.,](\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > decimals) return null;
  const units = BigInt(m[1]! + frac.padEnd(decimals, '0'));
  return units.toString();
}

const PERIOD = /^[0-9A-Za-z][0-9A-Za-z:._-]{0,39}$/;
const CURRENCY = /^(BTC|[A-Z]{3})$/;
const SATS_MAX = 9_223_372_036_854_775_807n;

function text(e: FieldErrors, name: string, v: string, max: number): void {
  if (!v.trim()) e[name] = { key: k('form.required') };
  else if (v.trim().length > max) e[name] = { key: k('form.tooLong'), values: { max } };
}

function period(e: FieldErrors, v: string): void {
  if (!v.trim()) e['periodId'] = { key: k('form.required') };
  else if (!PERIOD.test(v.trim())) e['periodId'] = { key: k('form.periodId') };
}

/** Checks a decimal amount of `decimals` places, above zero unless `zero`. */
function amount(e: FieldErrors, name: string, v: string, decimals: number, zero = false): void {
  const units = decimalUnits(v, decimals);
  if (!v.trim()) e[name] = { key: k('form.required') };
  else if (units === null) e[name] = { key: k('form.decimal'), values: { decimals } };
  else if (BigInt(units) > SATS_MAX && decimals === 8) e[name] = { key: k('form.tooLarge') };
  else if (!zero && BigInt(units) === 0n) e[name] = { key: k('form.positive') };
}

export const emptyCredit = (periodId: string): CreditDraft => ({
  periodId,
  pool: '',
  reference: '',
  amountBtc: '',
});

export function validateCredit(d: CreditDraft): FieldErrors {
  const e: FieldErrors = {};
  period(e, d.periodId);
  text(e, 'pool', d.pool, 100);
  text(e, 'reference', d.reference, 200);
  amount(e, 'amountBtc', d.amountBtc, 8);
  return e;
}

export const creditBody = (d: CreditDraft) => ({
  periodId: d.periodId.trim(),
  pool: d.pool.trim(),
  reference: d.reference.trim(),
  amountSats: decimalUnits(d.amountBtc, 8)!,
});

export const emptyCost = (periodId: string): CostDraft => ({
  periodId,
  description: '',
  currency: 'USD',
  amount: '',
});

/** A BTC cost is entered in BTC and sent in satoshis; a fiat one as the decimal it is (6 places at most). */
export function validateCost(d: CostDraft): FieldErrors {
  const e: FieldErrors = {};
  period(e, d.periodId);
  text(e, 'description', d.description, 200);
  if (!CURRENCY.test(d.currency.trim())) e['currency'] = { key: k('form.currency') };
  amount(e, 'amount', d.amount, d.currency.trim() === 'BTC' ? 8 : 6);
  return e;
}

export function costBody(d: CostDraft) {
  const currency = d.currency.trim();
  const base = { periodId: d.periodId.trim(), description: d.description.trim(), currency };
  if (currency === 'BTC') return { ...base, amountSats: decimalUnits(d.amount, 8)! };
  const micro = BigInt(decimalUnits(d.amount, 6)!);
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return { ...base, amount: frac ? `${micro / 1_000_000n}.${frac}` : `${micro / 1_000_000n}` };
}

export const emptyStake = (): StakeDraft => ({ stakerId: '', nodeId: '', amountHss: '', effectiveAt: '' });

export function validateStake(d: StakeDraft): FieldErrors {
  const e: FieldErrors = {};
  if (!d.stakerId) e['stakerId'] = { key: k('form.required') };
  if (!d.nodeId) e['nodeId'] = { key: k('form.required') };
  amount(e, 'amountHss', d.amountHss, 18, true);
  if (!d.effectiveAt.trim()) e['effectiveAt'] = { key: k('form.required') };
  else if (Number.isNaN(new Date(d.effectiveAt).getTime())) e['effectiveAt'] = { key: k('form.dateTime') };
  return e;
}

/** HSS as decimal text without trailing zeros (`12500`, `0.5`). */
const hssText = (units: string): string => {
  const u = BigInt(units);
  const scale = 10n ** 18n;
  const frac = (u % scale).toString().padStart(18, '0').replace(/0+$/, '');
  return frac ? `${u / scale}.${frac}` : `${u / scale}`;
};

export const stakeBody = (d: StakeDraft) => ({
  stakerId: d.stakerId,
  nodeId: d.nodeId,
  amountHss: hssText(decimalUnits(d.amountHss, 18)!),
  effectiveAt: new Date(d.effectiveAt).toISOString(),
});
