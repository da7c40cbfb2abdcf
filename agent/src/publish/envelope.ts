import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, SESSION_SEQ_FROM } from '@hashfleet/contracts';

export type EnvelopeFields = {
  v: typeof PROTOCOL_VERSION;
  agentId: string;
  bootId: string;
  seq: number;
  sentAt: number;
  historical: boolean;
};

/**
 * Stamps `(agentId, bootId, seq)` on every message of this process; seqs restart with the bootId.
 * Spooled data messages take `next()`, consecutive from 0; birth, status and the last will take
 * `session()`, a counter of their own from SESSION_SEQ_FROM (contracts messages.ts), so the wills
 * prepared for every connection attempt leave no gaps among the data seqs.
 */
export class Envelopes {
  readonly bootId = randomUUID();
  #seq = 0;
  #sessionSeq = SESSION_SEQ_FROM;

  constructor(
    readonly agentId: string,
    private readonly now: () => number,
  ) {}

  next(): EnvelopeFields {
    return this.#stamp(this.#seq++);
  }

  session(): EnvelopeFields {
    return this.#stamp(this.#sessionSeq++);
  }

  #stamp(seq: number): EnvelopeFields {
    return {
      v: PROTOCOL_VERSION,
      agentId: this.agentId,
      bootId: this.bootId,
      seq,
      sentAt: this.now(),
      historical: false,
    };
  }
}
