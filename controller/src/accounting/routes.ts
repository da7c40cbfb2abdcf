/**
 * Accounting HTTP API, under /api/v1. Amounts in satoshis are JSON strings (bigint); HSS amounts
 * are decimal strings of HSS (`amountHss`) and of base units (`amountUnits`, 18 decimals).
 * Roles: operator/admin do everything; a staker token reads only its own staker's data (other
 * staker ids answer 403); a technician gets 403 on every route here (no money).
 *
 * Stake register
 *   GET  /stakers                         -> [{ id, name, createdAt }]
 *   POST /stakers { id, name }            -> { id, name, holder }
 *   GET  /stakers/:id                     -> { id, name, holder, holderSalt, stakes: [entry] }  (own staker or operator)
 *   GET  /stakers/:id/stakes              -> [{ seq, stakerId, nodeId, amountHss: "12500", amountUnits, effectiveAt, source, enteredBy, enteredAt }]
 *   GET  /nodes                           -> [{ id, name, kind: "solo"|"shared", collateralHss, eligible }]  (now)
 *   POST /nodes { id, name, kind }
 *   POST /stakes { stakerId, nodeId, amountHss, effectiveAt, idempotencyKey? }  -> 201 entry | 200 same entry again
 *   POST /stakes/import  (text/csv body, see stakes-csv.ts)  -> { entries: 3, unchanged: 0 }
 * Staker views
 *   GET  /stakers/:id/attribution?from=ISO&to=ISO
 *        -> { from, to, periodAttributedThs: 12.3, byNode: { "node-1": 12.3 },
 *             attributedHashrate: { ths: 12.3, from, to, windowSeconds, diff1Shares, fleetThs, stakeUnitsSeconds,
 *                                   totalEligibleUnitsSeconds, stakeShare, definition },  (attribution.ts: the one definition)
 *             fleet: [{ hourStart, fleetThs }], hours: [{ hourStart, nodeId, share: 0.0123, attributedThs }] }
 *   GET  /attribution?from=ISO&to=ISO     (operator) -> { diff1Shares, effectiveThs, hours: [{ hourStart, diff1Shares, fleetThs, eligibleHssSeconds }],
 *                                           stakers: [{ stakerId, attributedThs }], nodes: [{ nodeId, attributedThs }] }
 *   GET  /stakers/:id/statements          -> [statement]
 *   GET  /stakers/:id/statements/:periodId
 *        -> { periodId: "2026-11-23", start, end, holder, stakeUnitsSeconds, totalEligibleUnitsSeconds,
 *             stakeShare: 0.25, attributedThs: 40.1, payoutSats: "83623703", adjustmentSats: "0", totalSats: "83623703",
 *             ruleVersion: 1, inputsSha256, outputsSha256, inputsUrl: "/api/v1/periods/2026-11-23/inputs", outputsUrl }
 *   GET  /stakers/:id/statements/:periodId/breakdown
 *        -> { periodId, start, end, ruleVersion, poolCreditSats, costs: [{ kind: "energy"|"other", siteId, account, sats, detail }],
 *             costsSats, lossCarriedInSats, netSats, stakerBps, stakerPoolSats, stakeUnitsSeconds, totalEligibleUnitsSeconds,
 *             stakeShare, proRataFloorSats, remainderSats, payoutSats, adjustmentSats, totalSats, lossCarriedOutSats,
 *             attributedHashrate, inputsSha256, outputsSha256 }  (every step in sats; they add up exactly)
 *   GET  /stakers/:id/statements.csv      -> text/csv, one row per period
 * Periods (operator/admin unless noted)
 *   GET  /periods                         -> [{ periodId, startMs, endMs, ruleVersion, inputsSha256, outputsSha256, netSats, stakerPoolSats, lossCarriedOutSats, closedBy, closedAt }]
 *   GET  /periods/open                    -> [{ periodId, creditedSats, credits }]  (credits entered, not closed yet)
 *   POST /periods/:id/close { override? } -> 201 summary (alreadyClosed: false) | 200 the same summary (alreadyClosed: true)
 *                                           | 409 when an earlier period is neither closed nor waived, or the period is
 *                                           incomplete and no override reason is given (both name what to do)
 *   GET  /periods/:id/completeness        -> { periodId, closed, waiver, blockedBy: null|"...", report: { complete, failures: [],
 *                                           flags: ["credit_without_work"], thresholds, summary: { containerHours, telemetryCoverage,
 *                                           energyCoverage, workCoverage, creditPresent, creditedSats, diff1Shares }, override?,
 *                                           hours: [{ siteId, containerId, hourStartMs, minersExpected, minersSeen, telemetryCoverage,
 *                                           energyCoverage, workPresent, creditPresent, diff1Shares }] } }  (stored once closed)
 *   POST /periods/:id/waive { reason }    -> 201 { periodId, reason, waivedBy, waivedAtMs }  (the next period in order only)
 *   POST /periods/:id/recompute           -> { identical: true, storedOutputsSha256, recomputedOutputsSha256, ... }
 *   GET  /periods/:id/inputs              -> the exact canonical inputs document the hash covers (operator, or a staker paid in the period)
 *   GET  /periods/:id/outputs             -> the canonical outputs document (same access as inputs)
 *   GET  /periods/:id/journal             -> [{ tx, lineNo, kind: "close"|"adjustment", account, stakerId (staker accounts), debitSats, creditSats, memo, createdBy, createdAt }]
 *   GET  /periods/:id/reconciliation      -> { creditedSats, expectedSats, shortfallSats, shortfallBps, poolShortfallFlagged, costsSats, netSats, paidToStakersSats, journalBalanced, adjustments, balances,
 *                                           inputsDrift: { drifted, sections: ["energy", "work"], sourceInputsSha256 } }
 *   POST /periods/:id/adjustments { memo, idempotencyKey, lines: [{ account, debitSats, creditSats }] } -> 201 { tx }
 * Close inputs (operator/admin)
 *   POST /credits { periodId, pool, reference, amountSats }          (pool + reference unique: re-posting is a no-op)
 *   POST /costs { periodId, description, currency: "USD"|"BTC", amount? (decimal fiat), amountSats? }
 *   POST /btc-prices { currency, price (decimal), source, observedAt }
 *   POST /network { difficulty, blockHeight, feesPerBlockSats, source, observedAt }
 *   GET  /credits?periodId=, GET /costs?periodId=, GET /stakes  -> what was entered, newest first (entry-list-routes.ts)
 *   GET  /rules, POST /rules { stakerBps, reinvestBps, operatorBps, lossRule, periodSeconds, minNodeCollateralHss, effectiveFrom }  (admin)
 *
 * How a staker verifies a payout: fetch /periods/:id/inputs, check sha256(body) == inputsSha256 of
 * the statement, find their own rows by `holder` (shown in /stakers/:id), and run the published
 * split (controller/src/accounting/close.ts) on the document: it yields outputsSha256
 * (`tools/verify-payout.py inputs.json --holder <holder>`, its Node twin `tools/verify-payout.mjs`,
 * both standard library only, or `hashfleet-controller period verify <inputs.json> <holder>` do this
 * offline). Other stakers appear only as salted holder hashes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Counter } from 'prom-client';
import type { CoreContext } from '../core/context.js';
import type { FeatureContext } from '../core/feature.js';
import { completenessRoutes } from './routes/completeness-routes.js';
import { entryListRoutes } from './routes/entry-list-routes.js';
import { inputRoutes } from './routes/input-routes.js';
import { periodRoutes } from './routes/period-routes.js';
import { registerRoutes } from './routes/register-routes.js';
import { stakerRoutes } from './routes/staker-routes.js';

export const accountingRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  // Every refused accounting request (bad input, wrong role, closed period) is counted.
  const registry = (app as unknown as { hashfleet?: CoreContext }).hashfleet?.metrics.registry;
  const refused = registry
    ? new Counter({
        name: 'hashfleet_accounting_refused_total',
        help: 'Accounting API requests refused, by route and status',
        labelNames: ['route', 'status'],
        registers: [registry],
      })
    : null;
  app.addHook('onResponse', async (request, reply) => {
    if (refused && reply.statusCode >= 400) {
      refused.inc({
        route: `${request.method} ${request.routeOptions.url ?? '?'}`,
        status: String(reply.statusCode),
      });
    }
  });
  await app.register(registerRoutes, ctx);
  await app.register(stakerRoutes, ctx);
  await app.register(periodRoutes, ctx);
  await app.register(inputRoutes, ctx);
  await app.register(completenessRoutes, ctx);
  await app.register(entryListRoutes, ctx);
};
