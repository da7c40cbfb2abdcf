import { Socket } from 'node:net';
import { fromSocketError, MAX_REPLY_BYTES, TransportError } from './errors.js';

/**
 * One cgminer-family API exchange: connect, one write, read until the miner closes. The deadline
 * covers all of it, so a miner that accepts and never answers costs exactly `deadlineMs`.
 * The trailing NUL cgminer sends is left in the body for the decoder (it counts it as a repair).
 */
export function rpcExchange(host: string, port: number, body: string, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: TransportError | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else if (size === 0) reject(new TransportError('empty', 'connection closed without a reply'));
      else resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const timer = setTimeout(
      () => finish(new TransportError('timeout', `timeout after ${deadlineMs} ms`)),
      deadlineMs,
    );
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        finish(new TransportError('too-large', `reply exceeds ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => finish(null));
    socket.on('close', () => finish(null));
    socket.on('error', (err) => {
      // A reset after a complete reply is how some firmwares close; keep what arrived.
      if (size > 0 && (err as NodeJS.ErrnoException).code === 'ECONNRESET') finish(null);
      else finish(fromSocketError(err));
    });
    socket.connect({ host, port }, () => {
      // cgminer recv()s once: the request must go out in a single write. No half-close: a
      // server that is not half-open aware would close before answering.
      socket.write(body);
    });
  });
}

/** A TCP connect that is closed at once: the cheap re-probe of a miner that was down. */
export function tcpProbe(host: string, port: number, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TransportError('timeout', `connect timeout after ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(fromSocketError(err));
    });
    socket.connect({ host, port }, () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
  });
}
