import type { Socket } from 'node:net';
import type { Fault, FaultKind } from '../model/faults.js';

/** Connection faults, applied the same way on every port of a miner. */
export type ConnectionFaults = ReadonlyMap<FaultKind, Fault>;

export type Delivery = {
  /** Open sockets and timers, so stop() can end hung and slow connections. */
  track(socket: Socket): void;
  timer(fn: () => void, ms: number): void;
};

/** Writes `body` to the socket, or misbehaves as the miner's faults say. */
export function deliver(
  socket: Socket,
  body: Buffer,
  faults: ConnectionFaults,
  d: Delivery,
  end = true,
): void {
  if (faults.has('hung')) return;
  const send = () => {
    if (socket.destroyed) return;
    if (faults.has('garbage')) {
      // Line noise, a bootloader banner or a half-written buffer: anything but a reply.
      socket.end(Buffer.from('\x15\x03\x01\x00\x02\x02\x0a<html>502 Bad Gateway\xff\xfe', 'latin1'));
      return;
    }
    if (faults.has('truncated')) {
      socket.end(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    if (end) socket.end(body);
    else socket.write(body);
  };
  const slow = faults.get('slow');
  if (slow?.kind === 'slow') d.timer(send, slow.seconds * 1000);
  else send();
}

/** Whether a cgminer request is complete: text requests are one segment, JSON when it parses. */
export function requestComplete(buf: string): boolean {
  const t = buf.trimStart();
  if (!t.startsWith('{')) return t.length > 0;
  try {
    JSON.parse(t.replace(/\0+$/, ''));
    return true;
  } catch {
    return buf.length > 8192;
  }
}

/**
 * One cgminer-style connection: read one request (a single segment, or until the JSON parses
 * or the peer half-closes), answer, close. `answer` returns the reply bytes.
 */
const INCOMPLETE_WAIT_MS = 100;

export function serveOneShot(
  socket: Socket,
  d: Delivery,
  answer: (request: string, peer: string) => Buffer | null,
  faults: () => ConnectionFaults,
): void {
  d.track(socket);
  socket.setNoDelay(true);
  let buf = '';
  let done = false;
  const respond = () => {
    if (done) return;
    done = true;
    const peer = socket.remoteAddress ?? '0.0.0.0';
    const body = answer(buf, peer);
    if (body === null) socket.destroy();
    else deliver(socket, body, faults(), d);
  };
  let wait: NodeJS.Timeout | null = null;
  socket.on('data', (chunk) => {
    if (done) return;
    buf += chunk.toString('latin1');
    if (wait) clearTimeout(wait);
    if (requestComplete(buf)) respond();
    // cgminer answers what one recv() got; a JSON request still incomplete after a moment is
    // answered as it stands (Invalid JSON) rather than waited for forever.
    else wait = setTimeout(respond, INCOMPLETE_WAIT_MS);
  });
  socket.on('end', respond);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => wait && clearTimeout(wait));
}
