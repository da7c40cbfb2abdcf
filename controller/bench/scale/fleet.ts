/**
 * The simulated fleet of the scale rehearsal: agents split over several publisher processes
 * (publisher.ts), driven over their stdin, and the plain subscriber that gives the raw broker
 * figures of the same run (the same publishers, the same broker, nothing but counting behind it).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import type { Delivery, PublisherSetup } from './publisher.js';

export type Publisher = {
  ask<T>(command: string): Promise<T>;
  end(): void;
};

function startPublisher(setup: PublisherSetup): Promise<Publisher> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./publisher.ts', import.meta.url)), JSON.stringify(setup)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const line = await lines.next();
    if (line.done) throw new Error(`publisher exited with ${child.exitCode}`);
    return JSON.parse(line.value as string) as T;
  };
  // One command at a time per process: each answer is read before the next command is sent.
  let queue: Promise<unknown> = Promise.resolve();
  const ask = <T>(command: string): Promise<T> => {
    const p = queue.then(() => {
      child.stdin!.write(`${command}\n`);
      return next<T>();
    });
    queue = p.catch(() => {});
    return p;
  };
  return next().then(() => ({ ask, end: () => child.stdin!.end('end\n') }));
}

export type Fleet = {
  /** Sends one command to every publisher; resolves with their answers. */
  all<T>(command: string): Promise<T[]>;
  deliveries(): Promise<{ deliveries: Delivery[]; doubleAcks: number }>;
  end(): void;
};

export async function startFleet(
  base: Omit<PublisherSetup, 'agents'>,
  tokens: string[],
  processes: number,
): Promise<Fleet> {
  const groups = Array.from({ length: processes }, (_, p) =>
    tokens.map((token, c) => ({ c, token })).filter(({ c }) => c % processes === p),
  );
  const pubs = await Promise.all(groups.map((agents) => startPublisher({ ...base, agents })));
  return {
    all: <T>(command: string) => Promise.all(pubs.map((p) => p.ask<T>(command))),
    async deliveries() {
      const parts = await Promise.all(
        pubs.map((p) => p.ask<{ deliveries: Delivery[]; doubleAcks: number }>('report')),
      );
      return {
        deliveries: parts.flatMap((r) => r.deliveries),
        doubleAcks: parts.reduce((s, r) => s + r.doubleAcks, 0),
      };
    },
    end: () => {
      for (const p of pubs) p.end();
    },
  };
}

/** A plain subscriber to every agent's telemetry: counts messages and their publish-to-delivery time. */
export async function plainSubscriber(url: string, password: string) {
  const client = await mqtt.connectAsync(url, {
    username: 'controller',
    password,
    clientId: 'scale-plain-subscriber',
  });
  let received = 0;
  let timing = false;
  const latencies: number[] = [];
  client.on('message', (_topic, payload) => {
    received++;
    if (!timing) return;
    // The envelope's sentAt is near the start of the message (ingest-load.ts builds it first).
    const m = /"sentAt":(\d+)/.exec(payload.subarray(0, 400).toString());
    if (m) latencies.push(Date.now() - Number(m[1]));
  });
  await client.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
  return {
    get received() {
      return received;
    },
    latencies,
    /** Whether each message's latency is taken (parsing a little of each) or only counted. */
    timed(on: boolean) {
      timing = on;
    },
    async until(n: number, timeoutMs: number) {
      const end = Date.now() + timeoutMs;
      while (received < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      return received >= n;
    },
    close: () => client.endAsync(),
  };
}
