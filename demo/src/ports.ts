import { createServer } from 'node:net';

/** A port we need that something else holds: the message names the port and the flag that moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly flag: string,
  ) {
    super(`${host}:${port} is already in use; choose another port with ${flag} <port>`);
  }
}

/** Resolves when `host:port` can be bound right now; rejects with PortInUseError when it cannot. */
export function ensurePortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(host, port, flag));
      else
        reject(
          new Error(
            `${host}:${port}: cannot listen (${err.code ?? err.message}); choose another with ${flag}`,
          ),
        );
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A port the OS says is free now (for tests and benchmarks that run the whole demo). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
