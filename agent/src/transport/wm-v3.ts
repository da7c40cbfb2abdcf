import { Socket } from 'node:net';
import { fromSocketError, MAX_REPLY_BYTES, TransportError } from './errors.js';

/** Whatsminer API v3 frame: uint32 little-endian length, then UTF-8 JSON (both directions). */
export function encodeFrame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * One v3 exchange on its own connection: write one frame, read one non-empty frame, close.
 * Heartbeat frames (length 0) are skipped. The deadline covers connect, write and read.
 */
export function wmV3Exchange(host: string, port: number, json: string, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (err: TransportError | null, body?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(body ?? '');
    };
    const timer = setTimeout(
      () => finish(new TransportError('timeout', `timeout after ${deadlineMs} ms`)),
      deadlineMs,
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32LE(0);
        if (length > MAX_REPLY_BYTES) {
          finish(new TransportError('too-large', `frame of ${length} bytes exceeds ${MAX_REPLY_BYTES}`));
          return;
        }
        if (buffered.length < 4 + length) return;
        const body = buffered.subarray(4, 4 + length);
        buffered = buffered.subarray(4 + length);
        if (length > 0) {
          finish(null, body.toString('utf8'));
          return;
        }
      }
    });
    socket.on('close', () =>
      finish(new TransportError('empty', 'connection closed before a complete frame')),
    );
    socket.on('error', (err) => finish(fromSocketError(err)));
    socket.connect({ host, port }, () => socket.write(encodeFrame(json)));
  });
}
