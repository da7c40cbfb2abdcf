import type { Acks } from '@hashfleet/contracts';

type Sent = { bootId: string; seq: number; pubackAt: number | null };

/**
 * Which spooled messages are out and waiting for the controller's end-to-end ack (contracts
 * acks.ts). A message is tracked from its publish; its ack timeout starts at the broker's PUBACK.
 * Pure bookkeeping: the publisher deletes what `ack` returns and republishes what `expired` returns.
 */
export class AckTracker {
  /** spool id -> what identifies it to the controller. */
  readonly #sent = new Map<number, Sent>();
  /** bootId -> seq -> spool id. */
  readonly #byKey = new Map<string, Map<number, number>>();

  get size(): number {
    return this.#sent.size;
  }

  has(id: number): boolean {
    return this.#sent.has(id);
  }

  sent(id: number, bootId: string, seq: number): void {
    this.forget(id);
    this.#sent.set(id, { bootId, seq, pubackAt: null });
    const seqs = this.#byKey.get(bootId) ?? new Map<number, number>();
    this.#byKey.set(bootId, seqs);
    seqs.set(seq, id);
  }

  pubacked(id: number, at: number): void {
    const s = this.#sent.get(id);
    if (s) s.pubackAt = at;
  }

  forget(id: number): void {
    const s = this.#sent.get(id);
    if (!s) return;
    this.#sent.delete(id);
    const seqs = this.#byKey.get(s.bootId);
    seqs?.delete(s.seq);
    if (seqs?.size === 0) this.#byKey.delete(s.bootId);
  }

  /** Spool ids the acks cover (and stops tracking them); acks for unknown messages are ignored. */
  ack(acks: Acks): number[] {
    const out: number[] = [];
    for (const boot of acks.boots) {
      const seqs = this.#byKey.get(boot.bootId);
      if (!seqs) continue;
      for (const [from, to] of boot.ranges) {
        if (to - from < seqs.size) {
          for (let seq = from; seq <= to; seq++) {
            const id = seqs.get(seq);
            if (id !== undefined) out.push(id);
          }
        } else {
          for (const [seq, id] of seqs) if (seq >= from && seq <= to) out.push(id);
        }
      }
    }
    for (const id of out) this.forget(id);
    return out.sort((a, b) => a - b);
  }

  /** Ids PUBACKed at least `timeoutMs` ago without an ack (and stops tracking them), ascending. */
  expired(now: number, timeoutMs: number): number[] {
    const out: number[] = [];
    for (const [id, s] of this.#sent) if (s.pubackAt !== null && now - s.pubackAt >= timeoutMs) out.push(id);
    for (const id of out) this.forget(id);
    return out.sort((a, b) => a - b);
  }

  /** PUBACKed messages waiting for the controller, and the age of the oldest (ms; 0 when none). */
  unacked(now: number): { count: number; oldestMs: number } {
    let count = 0;
    let oldest = now;
    for (const s of this.#sent.values()) {
      if (s.pubackAt === null) continue;
      count++;
      if (s.pubackAt < oldest) oldest = s.pubackAt;
    }
    return { count, oldestMs: now - oldest };
  }

  /** Stops tracking everything: after a reconnect the whole spool is replayed. */
  clear(): void {
    this.#sent.clear();
    this.#byKey.clear();
  }
}
