import { topics } from '@hashfleet/contracts';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLink } from '../src/core/mqtt/link.js';
import { tempDir } from './helpers.js';
import { type Mosquitto, startMosquitto } from './servers.js';

/**
 * The broker link's close() is bounded (core/mqtt/link.ts): what it has in flight (end-to-end
 * acks) gets a few seconds to reach the broker, then the connection ends at once. MQTT.js's
 * graceful end waits for the broker's PUBACKs with no limit: with a broker that does not answer
 * (here a real Mosquitto, stopped with SIGSTOP) a controller's shutdown waited for ever, as a
 * replica did past its stop timeout in the scale rehearsal (controller/bench/scale.bench.ts).
 */
describe('the broker link closes within its bound when the broker does not answer', () => {
  let m: Mosquitto | null = null;
  const dir = tempDir();
  afterEach(async () => {
    if (m) process.kill(m.pid, 'SIGCONT');
    await m?.stop();
    dir.cleanup();
  });

  it('close() returns with an ack still unacknowledged by a stopped broker', async () => {
    m = await startMosquitto(dir.dir, { controller: 'pw' });
    const link = await connectLink({
      url: m.url,
      username: 'controller',
      password: 'pw',
      clientId: 'ctl-close',
      protocolVersion: 5,
      sharedGroup: null,
      ingest: { handle: async () => 'applied', stop() {} } as never,
      log: pino({ level: 'silent' }),
      now: Date.now,
    });
    process.kill(m.pid, 'SIGSTOP');
    void link.publish(topics.acks('c01'), 'in flight').catch(() => {});
    const outcome = await Promise.race([
      link.close().then(() => 'closed'),
      new Promise((r) => setTimeout(r, 20_000)).then(() => 'still closing after 20 s'),
    ]);
    expect(outcome).toBe('closed');
  }, 30_000);
});
