import { latestBtcPrice, latestNetwork } from '../accounting/index.js';
import type { Db } from '../core/storage/db.js';
import { parseTariff } from '../energy/index.js';
import { type MinerFigures, minerFigures, type SitePricing, type Totals, total } from './compute.js';
import { type ProfitFilter, profitContainers, profitMiners, profitSites } from './queries.js';

const sats = (v: bigint | null) => (v === null ? null : v.toString());
const wire = (t: Totals) => ({
  miners: t.miners,
  incomplete: t.incomplete,
  losing: t.losing,
  revenueSatsPerDay: `${t.revenueSats}`,
  energySatsPerDay: `${t.energySats}`,
  profitSatsPerDay: `${t.profitSats}`,
});

/** Each site's tariff and the newest BTC price in its currency; null for a site whose tariff does not parse. */
async function sitePricing(db: Db) {
  const sites = await profitSites(db);
  const prices = new Map<string, bigint | null>();
  const pricing = new Map<string, SitePricing>();
  for (const s of sites) {
    let tariff: ReturnType<typeof parseTariff>;
    try {
      tariff = parseTariff(s.tariff_json ?? '', s.id);
    } catch {
      pricing.set(s.id, null);
      continue;
    }
    if (!prices.has(tariff.currency))
      prices.set(tariff.currency, (await latestBtcPrice(db, tariff.currency))?.priceMicro ?? null);
    pricing.set(s.id, { tariff, timeZone: s.timezone || 'UTC', priceMicro: prices.get(tariff.currency)! });
  }
  return { sites, pricing, prices };
}

/** The GET /profit body: per miner, per container and per site (routes.ts declares its shape). */
export async function profitReport(db: Db, q: ProfitFilter, now: number, offlineAfterMs: number) {
  const network = await latestNetwork(db);
  const { sites, pricing, prices } = await sitePricing(db);
  const rows = await profitMiners(db, q);
  const byContainer = new Map<string, MinerFigures[]>();
  const bySite = new Map<string, MinerFigures[]>();
  const miners = rows.map((r) => {
    const fresh = r.online === 1 && r.at !== null && now - r.at <= offlineAfterMs;
    const site = r.site_id ? (pricing.get(r.site_id) ?? null) : null;
    const f = minerFigures({ hashrateThs: r.hashrate_ths, powerW: r.power_w, fresh }, network, site, now);
    if (r.container_id) byContainer.set(r.container_id, [...(byContainer.get(r.container_id) ?? []), f]);
    if (r.site_id) bySite.set(r.site_id, [...(bySite.get(r.site_id) ?? []), f]);
    return {
      minerId: r.id,
      assetCode: r.asset_code,
      serial: r.serial,
      model: r.model,
      siteId: r.site_id,
      containerId: r.container_id,
      rack: r.rack,
      slot: r.slot,
      hashrateThs: fresh ? r.hashrate_ths : null,
      powerW: fresh ? r.power_w : null,
      powerProvenance: fresh ? r.power_provenance : null,
      currency: site?.tariff.currency ?? null,
      ratePerKwh: f.ratePerKwh,
      revenueSatsPerDay: sats(f.revenueSats),
      energySatsPerDay: sats(f.energySats),
      profitSatsPerDay: sats(f.profitSats),
      ...(f.missing.length ? { missing: f.missing } : {}),
    };
  });
  const containers = (await profitContainers(db))
    .filter((c) => byContainer.has(c.id))
    .map((c) => ({
      containerId: c.id,
      name: c.name,
      siteId: c.site_id,
      ...wire(total(byContainer.get(c.id)!)),
    }));
  return {
    at: now,
    network: network && {
      difficulty: network.difficulty,
      blockHeight: network.blockHeight,
      feesPerBlockSats: `${network.feesPerBlockSats}`,
      observedAt: network.observedAtMs,
    },
    btcPrices: [...prices]
      .filter((p): p is [string, bigint] => p[1] !== null)
      .map(([currency, p]) => ({ currency, priceMicro: `${p}` })),
    miners,
    containers,
    sites: sites
      .filter((s) => bySite.has(s.id))
      .map((s) => ({ siteId: s.id, name: s.name, ...wire(total(bySite.get(s.id)!)) })),
  };
}
