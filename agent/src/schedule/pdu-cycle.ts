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
 * recovery once.
 */
export class PduCycle {
  readonly #d: PduCycleDeps;
  /** pduId -> when it was last found down. */
  readonly #down = new Map<string, number>();

  constructor(deps: PduCycleDeps) {
    this.#d = deps;
  }

  async run(): Promise<void> {
    const { pdus, read, metrics, logger, now } = this.#d;
    if (pdus.length === 0) return;
    const body: PowerBody = { pdus: [], unreachable: [] };
    await Promise.all(
      pdus.map(async (pdu) => {
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
        }
      }),
    );
    this.#d.send(body);
  }
}
