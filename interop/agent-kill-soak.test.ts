import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Envelope, TelemetrySchema, topics } from '@hashfleet/contracts';
import { loadControllerConfig, type RunningController, startController } from '@hashfleet/controller';
import { waitFor } from '@hashfleet/demo/wait';
import { loadScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, MOSQUITTO, Mosquitto } from '../agent/test/servers.js';

/**
 * Issue 17 must-show: an agent process polling 300 simulated miners is SIGKILLed every 20 s and
 * restarted on the same spool for 3 minutes, and the real Mosquitto between it and the controller
 * (embedded SQLite) is stopped for 40 s in the middle. Truth is what each agent life reported as
 * polled (a poll counts once its sample is on disk). At the end the controller's sample aggregate
 * holds every completed poll once (at most the polls in flight at each kill on top), no sample is
 * in two different messages, and the controller counts no seq gap (a poll that never completed
 * takes no seq). The agent deletes a spooled message only on the controller's end-to-end ack
 * (mqtt.delivery controllerAck, the default). A persistent-session tap on the broker missed what
 * was replayed right after the broker came back (1,200 of 5,400 samples), and with brokerAck the
 * controller missed the same: Mosquitto PUBACKed them before the subscribers' sessions were back.
 */
const available = existsSync(MOSQUITTO);
// A 3-minute soak: it runs with HASHFLEET_SOAK=1 (`HASHFLEET_SOAK=1 npm run test:interop -- agent-kill-soak`),
// not in every CI run, which is kept near 20 minutes.
const runOrSkip = !process.env.HASHFLEET_SOAK || (!available && !process.env.CI) ? describe.skip : describe;

const MINERS = 300;
const RUN_MS = 180_000;
const KILL_EVERY_MS = 20_000;
const BROKER_DOWN = { fromMs: 70_000, toMs: 110_000 };
const AGENT = 'soak-c1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One agent process: its stdout lines, its last reported poll count, the tail of its log (stderr). */
type Life = { proc: ChildProcess; polled: number; exited: Promise<void>; lines: string[]; log: string };

function agentLife(input: Record<string, unknown>, schedule: 'timers' | 'manual'): Life {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../agent/test/agent-child.ts'),
      JSON.stringify(input),
      schedule,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const life: Life = {
    proc,
    polled: 0,
    lines: [],
    log: '',
    exited: new Promise<void>((r) => proc.once('exit', () => r())),
  };
  proc.stderr!.on('data', (c: Buffer) => {
    life.log = (life.log + c.toString()).slice(-4000);
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    life.lines.push(line);
    if (line.startsWith('polled ')) life.polled = Number(line.slice(7));
  });
  return life;
}

runOrSkip('agent SIGKILLed every 20 s with the broker down in the middle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-kill-soak-'));
  let sim: Simulation;
  let broker: Mosquitto;
  let controller: RunningController;
  let tap: mqtt.MqttClient;
  const raw: { topic: string; payload: string }[] = [];

  beforeAll(async () => {
    sim = await startSimulation(
      loadScenario('bench', { miners: MINERS, profiles: ['antminer-stock'], freeBlock: true }),
      { clock: 'real', pdus: false },
    );
    broker = new Mosquitto(join(dir, 'mosquitto'), await freePort());
    await broker.start();
    controller = await startController(
      loadControllerConfig(
        {
          dataDir: join(dir, 'controller'),
          http: { port: await freePort() },
          mqtt: { url: broker.url, clientId: 'soak-controller' },
          log: { level: 'silent' },
          // Its agent is not bound to a container (controller/test/agent-places.test.ts tests binding).
          ingest: { unboundAgents: 'accept' },
        },
        {},
      ),
    );
    // Records every data message the agent publishes; its persistent session (kept by Mosquitto
    // over a SIGTERM restart) gets what was published while it was reconnecting.
    tap = await mqtt.connectAsync(broker.url, { clientId: 'soak-tap', clean: false, reconnectPeriod: 200 });
    tap.on('message', (topic, payload) => raw.push({ topic, payload: payload.toString() }));
    // Every kind that takes a data seq (contracts DATA_SEQ_KINDS): telemetry, power, events, results.
    for (const kind of ['telemetry', 'power', 'events', 'results'] as const)
      await tap.subscribeAsync(topics.allOf(kind), { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await tap?.endAsync();
    await controller?.stop();
    await broker?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every completed poll once and counts only real seq gaps', { timeout: 360_000 }, async () => {
    const input = {
      agentId: AGENT,
      siteId: 'lab',
      containerId: 'c1',
      miners: { ranges: sim.miners.map((m) => m.ip), ports: { rpc: sim.miners[0]!.ports.rpc } },
      polling: { concurrency: 16, requestTimeoutMs: 3000, intervalMs: 10_000 },
      discovery: { concurrency: 64, timeoutMs: 3000 },
      spool: { dir: join(dir, 'spool'), fsync: 'always' },
      mqtt: { url: broker.url, reconnectMs: 200, delivery: 'controllerAck' },
    };
    const lives: Life[] = [];
    const start = Date.now();
    let brokerDown = false;
    let brokerBackUp = false;
    while (Date.now() - start < RUN_MS) {
      const life = agentLife(input, 'timers');
      lives.push(life);
      const killAt = Date.now() + KILL_EVERY_MS;
      while (Date.now() < killAt) {
        const t = Date.now() - start;
        if (!brokerDown && t >= BROKER_DOWN.fromMs) {
          brokerDown = true;
          await broker.stop('SIGTERM');
        }
        if (brokerDown && !brokerBackUp && t >= BROKER_DOWN.toMs) {
          brokerBackUp = true;
          await broker.start();
        }
        await sleep(250);
      }
      life.proc.kill('SIGKILL');
      await life.exited;
    }
    expect(brokerBackUp).toBe(true);
    // A last life that does not poll: it delivers what the killed ones left on disk.
    const last = agentLife(input, 'manual');
    await waitFor('spool drained', async () => last.lines.includes('drained'), {
      timeoutMs: 90_000,
      everyMs: 200,
    });
    last.proc.stdin!.end();
    await last.exited;
    expect(readdirSync(join(dir, 'spool', 'outbox'))).toEqual([]);

    // What was published, once per (boot, seq) over the data kinds, and the telemetry samples once
    // per (miner, at).
    const messages = raw.map((r) => ({
      topic: r.topic,
      env: JSON.parse(r.payload) as Envelope,
      json: r.payload,
    }));
    const seqsByBoot = new Map<string, Set<number>>();
    for (const { env } of messages) {
      seqsByBoot.set(env.bootId, (seqsByBoot.get(env.bootId) ?? new Set()).add(env.seq));
    }
    const samples = new Map<string, { shares: number }>();
    const firstOfBootSeq = new Set<string>();
    for (const { topic, env, json } of messages) {
      if (!topic.endsWith('/telemetry')) continue;
      const t = TelemetrySchema.parse(JSON.parse(json));
      const key = `${env.bootId}#${env.seq}`;
      if (firstOfBootSeq.has(key)) continue; // a redelivery of the same message
      firstOfBootSeq.add(key);
      for (const s of t.samples) {
        const id = `${s.minerKey}@${s.at}`;
        expect(samples.has(id), `sample ${id} in two different messages`).toBe(false);
        samples.set(id, { shares: s.work?.diff1Shares ?? 0 });
      }
    }
    const completed = lives.reduce((n, l) => n + l.polled, 0);
    expect(lives.length).toBeGreaterThanOrEqual(9);
    expect(completed).toBeGreaterThan(MINERS * 4);
    const stored = async () =>
      Number(
        (await controller.db.get<{ n: number }>('SELECT SUM(samples) AS n FROM container_hourly'))?.n ?? 0,
      );
    await waitFor('controller applied every completed poll', async () => (await stored()) >= completed, {
      timeoutMs: 60_000,
      everyMs: 500,
    });
    await sleep(2000); // anything doubled would land now
    // Each completed poll once; at most the polls in flight (concurrency 16) when a life was killed
    // can have finished after its last report.
    const n = await stored();
    expect(n).toBeGreaterThanOrEqual(completed);
    expect(n).toBeLessThanOrEqual(completed + 16 * lives.length);
    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    const metric = (name: string) => {
      const m = new RegExp(`^${name}\\{agent="${AGENT}"\\} (\\d+)$`, 'm').exec(metrics);
      return m ? Number(m[1]) : 0;
    };
    const missing = 0; // a poll that never completed takes no seq, so no data seq may be missing
    expect(metric('hashfleet_ingest_seq_gaps_total') - metric('hashfleet_ingest_seq_late_total')).toBe(
      missing,
    );
    expect(metric('hashfleet_ingest_seq_missing')).toBe(missing);
  });
});
