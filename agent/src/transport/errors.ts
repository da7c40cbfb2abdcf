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

export class TransportError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
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
