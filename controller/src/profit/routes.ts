/**
 * Profit per day (issue 19 item 8), under /api/v1.
 *
 *   GET /profit?siteId=&containerId=&minerId=  -> { at, network, btcPrices, miners: [...], containers: [...], sites: [...] }
 *
 * Each miner: revenue (expected sats a day at its hashrate, the accounting's formula), energy cost
 * (its power x 24 h at the site's tariff rate now, in sats at the newest BTC price) and their
 * difference, or `missing` naming the inputs it lacks (reading, hashrate, power, network, tariff,
 * btcPrice). Containers and sites total the miners with every input and count the others.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../core/feature.js';
import { READERS } from '../core/http/common.js';
import { Sats } from '../core/http/responses.js';
import { profitReport } from './report.js';

const Query = z.object({
  siteId: z.string().min(1).max(200).optional(),
  containerId: z.string().min(1).max(200).optional(),
  minerId: z.string().min(1).max(200).optional(),
});

const Missing = z.enum(['reading', 'hashrate', 'power', 'network', 'tariff', 'btcPrice']);
const PerDay = {
  revenueSatsPerDay: Sats.nullable().describe(
    'expected sats a day at the latest hashrate (null: an input is missing)',
  ),
  energySatsPerDay: Sats.nullable().describe('energy cost a day in sats at the tariff rate now'),
  profitSatsPerDay: Sats.nullable().describe('revenue - energy; negative: the unit loses money'),
};
const Totals = z.object({
  miners: z.number().int(),
  incomplete: z.number().int().describe('miners left out of the totals: an input is missing'),
  losing: z.number().int().describe('miners whose profit a day is negative'),
  revenueSatsPerDay: Sats,
  energySatsPerDay: Sats,
  profitSatsPerDay: Sats,
});
const MinerProfit = z.object({
  minerId: z.string(),
  assetCode: z.string().nullable(),
  serial: z.string().nullable(),
  model: z.string().nullable(),
  siteId: z.string().nullable(),
  containerId: z.string().nullable(),
  rack: z.string().nullable(),
  slot: z.string().nullable(),
  hashrateThs: z.number().nullable(),
  powerW: z.number().nullable(),
  powerProvenance: z.string().nullable(),
  currency: z.string().nullable(),
  ratePerKwh: z.number().nullable().describe("the site's tariff rate now, currency per kWh"),
  ...PerDay,
  missing: z.array(Missing).optional().describe('the inputs without which no profit is shown'),
});
const Report = z.object({
  at: z.number(),
  network: z
    .object({
      difficulty: z.number(),
      blockHeight: z.number(),
      feesPerBlockSats: Sats,
      observedAt: z.number(),
    })
    .nullable(),
  btcPrices: z.array(
    z.object({ currency: z.string(), priceMicro: Sats.describe('micro-units of the currency per BTC') }),
  ),
  miners: z.array(MinerProfit),
  containers: z.array(Totals.extend({ containerId: z.string(), name: z.string(), siteId: z.string() })),
  sites: z.array(Totals.extend({ siteId: z.string(), name: z.string() })),
});

export const profitRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  app.get(
    '/profit',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['profit'],
        summary: 'Revenue, energy cost and profit per day per miner, container and site',
        querystring: Query,
        response: { 200: Report },
      },
    },
    async (request) =>
      profitReport(
        ctx.db,
        request.query as z.infer<typeof Query>,
        ctx.now(),
        ctx.config.ingest.offlineAfterS * 1000,
      ),
  );
};
