import type { PduSample } from '@hashfleet/contracts';
import type { Logger } from 'pino';
import type { PduConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';

/** What reads one PDU (agent/src/pdu/poller.ts `PduReader` in the agent). */
export type PduRead = (pdu: PduConfig, at: () => number) => Promise<PduSample>;

export type PowerBody = {
  pdus: PduSample[];
  unreachable: { pduId: string; at: number; error: string }[];
};

export type PduCycleDeps = {
  pdus: readonly PduConfig[];
  read: PduRead;
  /** Hands one cycle's readings on (the agent spools them as one `power` message). */
  send: (body: PowerBody) => void;
  metrics: Pick<AgentMetrics, 'error'>;
  logger: Logger;
  now: () => number;
};

/**
 * The PDU half of a poll cycle: every configured PDU read at once, one `power` message per cycle
 * with the readings and the PDUs that did not answer. A PDU going down is logged once, its
 * recovery once. A PDU still being read from the cycle before is left out of this one.
 */
export class PduCycle {
  readonly #d: PduCycleDeps;
  /** pduId -> when it was last found down. */
  readonly #down = new Map<string, number>();
  /** PDUs whose reading from an earlier cycle is still running (cycles start at a fixed rate). */
  readonly #reading = new Set<string>();

  constructor(deps: PduCycleDeps) {
    this.#d = deps;
  }

  async run(): Promise<void> {
    const { pdus, read, metrics, logger, now } = this.#d;
    if (pdus.length === 0) return;
    const body: PowerBody = { pdus: [], unreachable: [] };
    await Promise.all(
      pdus.map(async (pdu) => {
        if (this.#reading.has(pdu.id)) return;
        this.#reading.add(pdu.id);
        try {
          body.pdus.push(await read(pdu, now));
          if (this.#down.has(pdu.id)) {
            logger.info(`pdu ${pdu.id} ${pdu.host}: recovered`);
            this.#down.delete(pdu.id);
          }
        } catch (err) {
          const error = `pdu ${pdu.id} ${pdu.host}: ${(err as Error).message}`.slice(0, 200);
          metrics.error('pdu', (err as { kind?: string }).kind ?? 'other');
          if (!this.#down.has(pdu.id)) logger.warn(error);
          this.#down.set(pdu.id, now());
          body.unreachable.push({ pduId: pdu.id, at: now(), error });
        } finally {
          this.#reading.delete(pdu.id);
        }
      }),
    );
    if (body.pdus.length + body.unreachable.length > 0) this.#d.send(body);
  }
}
