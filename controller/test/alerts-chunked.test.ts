import { describe, expect, it } from 'vitest';
import { evaluateAlerts, evaluateAlertsChunked, trackingKey } from '../src/alerts/evaluate.js';
import { defaultRules, indexRules } from '../src/alerts/rules.js';
import type { FleetSnapshot, PduSnapshot } from '../src/alerts/snapshot.js';

const NOW = 1_800_000_000_000;

/**
 * The chunked evaluation (the leader's tick) gives the event loop turns while it judges the PDUs,
 * not only between ranges of miners (at 100,000 miners a tick judges 2,000 PDUs of 50 outlets, in
 * one piece before), and says exactly what the evaluation in one go says, in the same order.
 */
describe('evaluateAlertsChunked', () => {
  // 1,000 PDUs of 10 outlets in 100 containers: every third PDU over its total, every seventh
  // outlet over its current, a hot inlet in every fifth container, one PDU silent.
  const pdus: PduSnapshot[] = Array.from({ length: 1_000 }, (_, i) => ({
    id: `c${i % 100}-pdu${Math.floor(i / 100)}`,
    containerId: `c${i % 100}`,
    siteId: 'sichuan',
    at: i === 500 ? NOW - 3_600_000 : NOW - 5_000,
    totalPowerW: i % 3 ? 16_000 : 40_000,
    outlets: Array.from({ length: 10 }, (_, k) => ({
      outlet: k + 1,
      powerW: 3_250,
      currentA: (i * 10 + k) % 7 ? 14 : 40,
      state: 'on',
    })),
    inletTempsC: [i % 5 ? 28 : 45],
    phases: null,
  }));
  const snapshot: FleetSnapshot = {
    miners: [],
    pdus,
    agents: [],
    containerSites: new Map(pdus.map((p) => [p.containerId, 'sichuan'])),
  };
  const rules = indexRules(defaultRules(0));
  const outletRule = rules.rules.find((r) => r.kind === 'outlet_overload')!;
  // Tracked outlets and the silent PDU: their clear and unknown verdicts are emitted too.
  const tracked = new Set([
    trackingKey(outletRule.id, 'outlet:c0-pdu0/2'),
    trackingKey(outletRule.id, 'outlet:c0-pdu5/1'),
  ]);
  const opts = { now: NOW, offlineAfterMs: 180_000, tracked };

  it('the same observations as the evaluation in one go, with turns of the loop between PDUs', async () => {
    const whole = evaluateAlerts(snapshot, rules, opts);
    expect(new Set(whole.map((o) => o.kind))).toEqual(
      new Set(['phase_overload', 'outlet_overload', 'inlet_hot']),
    );
    let turns = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const chunked = await evaluateAlertsChunked(snapshot, rules, opts).finally(() => {
      running = false;
    });
    expect(chunked).toEqual(whole);
    // No miners: every turn came while the PDUs were judged.
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
