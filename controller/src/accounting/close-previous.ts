import { apportion } from './apportion.js';
import { canonicalizeText, sha256Hex } from './canonical.js';
import {
  byText,
  type CloseOutputs,
  checkRecorded,
  checkSolo,
  journalEnds,
  type Payout,
  splitNet,
  stakerLines,
  summaryOf,
} from './close.js';
import type { CloseInputs } from './close-inputs.js';
import { journalBalances } from './journal.js';
import { buildTimeline, weightsBetween } from './stake-timeline.js';

/**
 * The period close as it was before issue 15 item 3, kept as the reference: close.ts must give
 * the same bytes and hashes (accounting-close-stream.test.ts), and the close bench measures it
 * beside the new one in the same run. Here every holding is an object in a map keyed by
 * `${holder}\u0000${nodeId}` (stake-timeline.ts `buildTimeline`, `weightsBetween`), the split goes
 * through a map by holder, every payout and journal line is an object, and each document is a
 * JSON-safe copy of the value written by `canonicalize` and hashed afterwards. The rules (split,
 * costs, journal ends, the checks) are close.ts's own, so only the way of computing differs.
 */
export function previousComputeClose(inputs: CloseInputs, inputsSha256: string): CloseOutputs {
  const { period, rule } = inputs;
  const split = splitNet(inputs);
  checkRecorded(inputs);
  const timeline = buildTimeline(inputs.stakes, inputs.nodes, rule.minNodeCollateralUnits);
  checkSolo(inputs);
  const weights = weightsBetween(timeline, period.startMs, period.endMs, false);
  let unallocated = 0n;
  const payouts: Payout[] = [];
  if (weights.total === 0n) {
    unallocated = split.stakerPool;
  } else {
    const parts = split.stakerPool > 0n ? apportion(split.stakerPool, weights.byHolder) : null;
    for (const holder of [...weights.byHolder.keys()].sort()) {
      payouts.push({ holder, weight: weights.byHolder.get(holder)!, sats: parts?.get(holder) ?? 0n });
    }
  }
  const { head, tail } = journalEnds(period.id, { ...split, unallocated });
  const journal = [...head, ...stakerLines(period.id, payouts), ...tail];
  const nodes = [...weights.byNode]
    .sort((a, b) => byText(a[0], b[0]))
    .map(([nodeId, weight]) => ({ nodeId, weight }));
  const outputs: CloseOutputs = {
    ...summaryOf(inputs, inputsSha256, split, { total: weights.total, nodes }, unallocated),
    payouts,
    journal,
  };
  if (!journalBalances(journal)) throw new Error(`period ${period.id}: journal does not balance (bug)`);
  return outputs;
}

/** Inputs -> the whole close the way it was done before, with both documents and their hashes. */
export function previousClosePeriod(inputs: CloseInputs): {
  inputsText: string;
  inputsSha256: string;
  outputs: CloseOutputs;
  outputsText: string;
  outputsSha256: string;
} {
  const inputsText = canonicalizeText(inputs);
  const inputsSha256 = sha256Hex(inputsText);
  const outputs = previousComputeClose(inputs, inputsSha256);
  const outputsText = canonicalizeText(outputs);
  return { inputsText, inputsSha256, outputs, outputsText, outputsSha256: sha256Hex(outputsText) };
}
