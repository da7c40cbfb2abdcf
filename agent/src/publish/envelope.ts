import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION } from '@hashfleet/contracts';

export type EnvelopeFields = {
  v: typeof PROTOCOL_VERSION;
  agentId: string;
  bootId: string;
  seq: number;
  sentAt: number;
  historical: boolean;
};

/** Stamps `(agentId, bootId, seq)` on every message of this process; seq restarts with the bootId. */
export class Envelopes {
  readonly bootId = randomUUID();
  #seq = 0;

  constructor(
    readonly agentId: string,
    private readonly now: () => number,
  ) {}

  next(): EnvelopeFields {
    return {
      v: PROTOCOL_VERSION,
      agentId: this.agentId,
      bootId: this.bootId,
      seq: this.#seq++,
      sentAt: this.now(),
      historical: false,
    };
  }
}
