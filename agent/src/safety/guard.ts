import type {
  AgentEvent,
  CommandAction,
  MinerSample,
  SafetyAction,
  SafetyRuleSet,
  SlotRef,
} from '@hashfleet/contracts';
import type { Logger } from 'pino';
import type { Outcome } from '../commands/execute.js';
import type { PollSink } from '../poll/poller.js';
import {
  type Decision,
  evaluate,
  type SafetyReading,
  type Streak,
  safetyReading,
  streakKey,
} from './evaluate.js';
import { readRuleSetFile, writeRuleSetFile } from './store.js';
import { type RuleSetVerdict, type SignatureCheck, verifyRuleSet } from './verify.js';

export type SafetyMode = 'always' | 'whenDisconnected' | 'off';

export type GuardDeps = {
  agentId: string;
  mode: SafetyMode;
  /** Where the last verified rule set is kept. */
  file: string;
  check: SignatureCheck;
  canonicalModel: (reported: string | null) => string | null;
  /** The PDU outlet feeding a slot, from the agent's config; null when none is known. */
  outletFor: (slot: SlotRef | null) => { pduId: string; outlet: number } | null;
  /** Carries out an action through the command executor (the profile's control operations). */
  run: (action: CommandAction) => Promise<Outcome>;
  /** Spools one event now (on disk before it returns), so a crash after acting cannot lose it. */
  report: (event: AgentEvent) => void;
  connected: () => boolean;
  onRefused: (refusal: string) => void;
  logger: Logger;
  now: () => number;
};

/**
 * The agent's local safety: holds the controller's signed rule set, watches each poll cycle's
 * samples against it and acts on its own through the same executor as commands, reporting each
 * action as a `safety.action` event through the spool (so it reaches the controller once the link
 * returns, exactly once: ingest dedupes on the envelope).
 */
export class SafetyGuard {
  readonly #d: GuardDeps;
  #set: SafetyRuleSet | null = null;
  #streaks = new Map<string, Streak>();
  /**
   * The cycle's samples as the rules read them, until afterCycle. Not the samples themselves: held
   * to the end of a cycle, 5,000 miners' samples were 5.3 MB of the agent's live heap, all of
   * them promoted to the old generation (a heap snapshot of the agent at 5,000 miners, issue 15).
   */
  #samples: SafetyReading[] = [];

  constructor(deps: GuardDeps) {
    this.#d = deps;
    let raw: string | null = null;
    try {
      raw = readRuleSetFile(deps.file);
    } catch (err) {
      deps.logger.error((err as Error).message);
    }
    if (raw === null) return;
    const verdict = verifyRuleSet(raw, { agentId: deps.agentId, check: deps.check, heldRevision: null });
    if (verdict.ok) {
      this.#set = verdict.ruleSet;
      deps.logger.info({ revision: verdict.ruleSet.revision }, 'safety: rule set restored from disk');
    } else {
      deps.onRefused(verdict.refusal);
      deps.logger.error(
        { refusal: verdict.refusal },
        `safety: ${deps.file}: stored rule set refused: ${verdict.message}`,
      );
    }
  }

  get revision(): number | null {
    return this.#set?.revision ?? null;
  }

  get rules(): SafetyRuleSet | null {
    return this.#set;
  }

  /** A rule set pushed by the controller: verified, then held and persisted; else the old one stays. */
  receive(payload: Uint8Array | string): RuleSetVerdict {
    const d = this.#d;
    const verdict = verifyRuleSet(payload, {
      agentId: d.agentId,
      check: d.check,
      heldRevision: this.revision,
    });
    if (!verdict.ok) {
      d.onRefused(verdict.refusal);
      d.logger.warn(
        { refusal: verdict.refusal, held: this.revision },
        `safety: rule set refused, keeping revision ${this.revision ?? 'none'}: ${verdict.message}`,
      );
      return verdict;
    }
    if (verdict.unchanged) return verdict;
    try {
      writeRuleSetFile(d.file, typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
    } catch (err) {
      // Still applied in memory: protecting now matters more than surviving a restart.
      d.logger.error(`safety: cannot persist ${d.file}: ${(err as Error).message}`);
    }
    this.#set = verdict.ruleSet;
    // Rule ids or limits may have changed meaning: streaks start again under the new rules.
    this.#streaks = new Map();
    d.logger.info(
      { revision: verdict.ruleSet.revision, rules: verdict.ruleSet.rules.length },
      'safety: rule set applied',
    );
    return verdict;
  }

  /** Poll-cycle hook: a sample as it goes to the open batch. */
  observe(sample: MinerSample): void {
    // Off is for the agent's whole life: nothing would ever read them.
    if (this.#d.mode !== 'off') this.#samples.push(safetyReading(sample));
  }

  /** The poller's sink with every sample also seen here. */
  tap(sink: PollSink): PollSink {
    return {
      sample: (s) => {
        this.observe(s);
        sink.sample(s);
      },
      unreachable: (u) => sink.unreachable(u),
      event: (e) => sink.event(e),
    };
  }

  /** Poll-cycle hook: the cycle is done; evaluate its samples and act. */
  async afterCycle(): Promise<void> {
    const samples = this.#samples;
    this.#samples = [];
    const d = this.#d;
    const set = this.#set;
    if (!set || d.mode === 'off') return;
    if (d.mode === 'whenDisconnected' && d.connected()) {
      this.#streaks = new Map();
      return;
    }
    const { streaks, decisions } = evaluate(set, samples, this.#streaks, d.canonicalModel);
    this.#streaks = streaks;
    for (const decision of decisions) await this.#act(set, decision);
  }

  async #act(set: SafetyRuleSet, decision: Decision): Promise<void> {
    const { rule } = decision;
    const steps: SafetyAction[] = [rule.action, ...(rule.fallback ? [rule.fallback] : [])];
    let onlyRefusals = true;
    for (const step of steps) {
      const outcome = await this.#perform(step, decision);
      if (outcome.status !== 'refused') onlyRefusals = false;
      const event: AgentEvent = {
        type: 'safety.action',
        at: this.#d.now(),
        minerKey: decision.minerKey,
        ip: decision.ip,
        ruleId: rule.id,
        revision: set.revision,
        metric: rule.metric,
        value: decision.value,
        limit: decision.limit,
        polls: rule.polls,
        action: step,
        connected: this.#d.connected(),
        status: outcome.status,
        message: outcome.message.slice(0, 256),
      };
      this.#d.report(event);
      const log = `safety: miner ${decision.ip}: ${rule.metric} ${decision.value} ${rule.op} ${decision.limit} for ${rule.polls} polls: ${step}: ${outcome.status}: ${outcome.message}`;
      if (outcome.status === 'succeeded') {
        this.#d.logger.warn({ minerKey: decision.minerKey, rule: rule.id }, log);
        return;
      }
      this.#d.logger.error({ minerKey: decision.minerKey, rule: rule.id }, log);
    }
    // A failure or timeout may pass (miner busy, PDU slow): try again on the next hot poll. A refusal
    // (the firmware cannot sleep, no outlet known) will not change, so it is reported once per episode.
    if (onlyRefusals) return;
    const key = streakKey(decision.minerKey, rule.id);
    const streak = this.#streaks.get(key);
    if (streak) this.#streaks.set(key, { ...streak, acted: false });
  }

  #perform(step: SafetyAction, decision: Decision): Promise<Outcome> {
    if (step === 'sleep')
      return this.#d.run({ op: 'sleep', target: { kind: 'miner', minerKey: decision.minerKey } });
    const outlet = this.#d.outletFor(decision.slot);
    if (!outlet)
      return Promise.resolve({
        status: 'refused',
        refusal: 'unknown_target',
        transport: null,
        message: `miner ${decision.ip}: no PDU outlet known for its slot`,
      });
    return this.#d.run({ op: 'outlet.off', target: { kind: 'outlet', ...outlet } });
  }
}
