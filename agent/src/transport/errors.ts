/** Why a request to a device failed; the kinds are the labels of the error counters. */
export type FailureKind =
  | 'timeout'
  | 'refused'
  | 'unreachable'
  | 'reset'
  | 'empty'
  | 'too-large'
  | 'protocol'
  | 'auth'
  | 'host-key'
  | 'parse'
  | 'other';

/**
 * A device's failure, told by its kind and message (what the counters, logs and results carry).
 * Built without a stack trace: it reports the miner, not the agent's code, and it is thrown on
 * every poll of a dead miner or of an optional step the site has no account for (capturing the
 * stack was 2 % of the agent's CPU polling 5,000 miners, issue 15).
 */
export class TransportError extends Error {
  readonly kind: FailureKind;

  constructor(kind: FailureKind, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.kind = kind;
    this.name = 'TransportError';
  }
}

const codeKinds: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
};

/** Maps a socket error to a TransportError that keeps the OS code in its message. */
export function fromSocketError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const kind = codeKinds[code] ?? 'other';
  const text = code ? `${code.startsWith('E') ? 'connect ' : ''}${code}` : (err as Error).message;
  return new TransportError(kind, text);
}

export function failureKind(err: unknown): FailureKind {
  return err instanceof TransportError ? err.kind : 'other';
}

/** Largest reply body accepted from a device; LuxOS healthchipget is ~29 KB, so 4 MB is generous. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;
