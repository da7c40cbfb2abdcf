import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A credential resolved from a file or an environment variable. It prints as `[secret]` in logs,
 * JSON and string interpolation, so a logged config or error can never carry it.
 */
export class Secret {
  readonly #value: string;
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return `[secret from ${this.source}]`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `[secret from ${this.source}]`;
  }
}

export type SecretRef = { file: string } | { env: string };

/** Resolves a reference; returns an error naming the source (never the value) when it cannot. */
export function resolveSecret(ref: SecretRef, baseDir: string): Secret | string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') return `environment variable ${ref.env} is not set`;
    return new Secret(value, `env ${ref.env}`);
  }
  const path = resolve(baseDir, ref.file);
  try {
    // Trailing newline is how editors and `echo` leave a one-line secret file.
    return new Secret(readFileSync(path, 'utf8').replace(/\r?\n$/, ''), `file ${path}`);
  } catch (err) {
    return `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
