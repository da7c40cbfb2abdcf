import { z } from 'zod';

/**
 * Site tariffs (`sites.tariff_json`): price per kWh by month 1..12 and hour 0..23 of the SITE'S
 * LOCAL time (`sites.timezone`, UTC when absent), because utilities publish time-of-use and
 * seasonal prices in local time (Sichuan's wet season, Kazakh night rates). The rate picked for
 * each UTC hour is written into the close's inputs, so a recompute never depends on the
 * time-zone database of the machine that runs it.
 */
export const TariffSchema = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
  perKwh: z.array(z.array(z.number().nonnegative().finite()).length(24)).length(12),
});
export type Tariff = z.infer<typeof TariffSchema>;

export function parseTariff(json: string, siteId: string): Tariff {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`site ${siteId}: tariff_json: ${(e as Error).message}`);
  }
  const r = TariffSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`site ${siteId}: tariff_json: ${issues}`);
  }
  return r.data;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Month (1..12) and hour (0..23) of an instant in a time zone. */
export function localMonthHour(ms: number, timeZone: string): { month: number; hour: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, month: 'numeric', hour: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  let month = 0;
  let hour = 0;
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type === 'month') month = Number(p.value);
    if (p.type === 'hour') hour = Number(p.value);
  }
  return { month, hour };
}

export function tariffRateAt(tariff: Tariff, ms: number, timeZone: string): number {
  const { month, hour } = localMonthHour(ms, timeZone);
  return tariff.perKwh[month - 1]![hour]!;
}
