/**
 * One publisher process of the scale rehearsal (scale.bench.ts): a share of the simulated agents,
 * each an MQTT client with its own agent credentials, publishing telemetry in the contracts' wire
 * format (the messages of ingest-load.ts) and reading its own end-to-end acks
 * (`hashfleet/v1/agents/<id>/acks`, contracts/src/acks.ts), as an agent with
 * `mqtt.delivery: controllerAck` does (docs/architecture.md §3.3).
 *
 * argv[2] is a JSON `PublisherSetup`. Commands on stdin, one JSON answer line each on stdout:
 *   paced <startAtMs> <seconds> <bootId>  every agent's miners once per poll, each agent's messages
 *                                         spread over the poll as fixed-rate cycles do; answers
 *                                         when every message of the phase has its PUBACK
 *   flat <rounds> <bootId>                every agent's messages back to back (the raw broker rate)
 *   report                                publish and ack time of every message of the acked boot
 *   end                                   disconnects and exits
 */
import { createInterface } from 'node:readline';
import { decodeAcks, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { agentId, batch } from '../ingest-load.js';

export type PublisherSetup = {
  url: string;
  /** Containers (agents) of this process by their global index, with the agent's broker password. */
  agents: { c: number; token: string }[];
  /** Agents over all publisher processes: the slots of one poll are spread over all of them. */
  totalAgents: number;
  minersPerAgent: number;
  /** Samples per telemetry message (the agent's batch.maxSamples). */
  perMessage: number;
  pollMs: number;
  /** The boot whose acks are tracked (the controllers' phases); other boots are not acked. */
  ackedBoot: string;
};

/** One message of the acked boot: when it was published and when its end-to-end ack came (epoch ms). */
export type Delivery = { c: number; seq: number; samples: number; sentAt: number; ackAt: number | null };

const setup = JSON.parse(process.argv[2]!) as PublisherSetup;
const parts = Math.ceil(setup.minersPerAgent / setup.perMessage);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

type Agent = { c: number; client: mqtt.MqttClient; nextSeq: Map<string, number> };
const deliveries = new Map<string, Delivery>();
let doubleAcks = 0;

const agents: Agent[] = await Promise.all(
  setup.agents.map(async ({ c, token }) => {
    const id = agentId(c);
    const client = await mqtt.connectAsync(setup.url, {
      username: id,
      password: token,
      clientId: id,
      reconnectPeriod: 1000,
    });
    client.on('message', (_topic, payload) => {
      const acks = decodeAcks(payload, id);
      if (!acks.ok) throw new Error(`${id}: ${acks.error}`);
      const at = Date.now();
      for (const boot of acks.value.boots) {
        if (boot.bootId !== setup.ackedBoot) continue;
        for (const [from, to] of boot.ranges)
          for (let seq = from; seq <= to; seq++) {
            const d = deliveries.get(`${c}:${seq}`);
            if (!d) continue;
            if (d.ackAt === null) d.ackAt = at;
            else doubleAcks++;
          }
      }
    });
    await client.subscribeAsync(topics.acks(id), { qos: 1 });
    return { c, client, nextSeq: new Map() };
  }),
);

/** Publishes part `part` of agent `a`'s poll (QoS 1) and resolves on its PUBACK. */
function publish(a: Agent, part: number, round: number, bootId: string): Promise<unknown> {
  const seq = a.nextSeq.get(bootId) ?? 0;
  a.nextSeq.set(bootId, seq + 1);
  const first = part * setup.perMessage;
  const n = Math.min(setup.perMessage, setup.minersPerAgent - first);
  const msg = batch(a.c, round, seq, n, first, bootId);
  if (bootId === setup.ackedBoot)
    deliveries.set(`${a.c}:${seq}`, { c: a.c, seq, samples: n, sentAt: msg.sentAt, ackAt: null });
  return a.client.publishAsync(topics.telemetry(agentId(a.c)), JSON.stringify(msg), { qos: 1 });
}

/**
 * Fixed-rate polls: part p of agent c goes out at (p * totalAgents + c) / (parts * totalAgents) of
 * the poll, so the whole fleet's messages arrive evenly and one agent's parts half a poll apart.
 */
async function paced(startAt: number, seconds: number, bootId: string): Promise<number> {
  const slots = agents
    .flatMap((a) =>
      Array.from({ length: parts }, (_, p) => ({
        a,
        p,
        offset: ((p * setup.totalAgents + a.c) / (parts * setup.totalAgents)) * setup.pollMs,
      })),
    )
    .sort((x, y) => x.offset - y.offset);
  const acked: Promise<unknown>[] = [];
  for (let round = 0; round * setup.pollMs < seconds * 1000; round++)
    for (const s of slots) {
      await sleep(startAt + round * setup.pollMs + s.offset - Date.now());
      acked.push(publish(s.a, s.p, round, bootId));
    }
  await Promise.all(acked);
  return acked.length;
}

async function flat(rounds: number, bootId: string): Promise<number> {
  for (let round = 0; round < rounds; round++)
    await Promise.all(
      agents.flatMap((a) => Array.from({ length: parts }, (_, p) => publish(a, p, round, bootId))),
    );
  return rounds * agents.length * parts;
}

const answer = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
answer({ ready: agents.length });
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...args] = line.split(' ');
  if (cmd === 'paced') answer({ published: await paced(Number(args[0]), Number(args[1]), args[2]!) });
  else if (cmd === 'flat') answer({ published: await flat(Number(args[0]), args[1]!) });
  else if (cmd === 'report') answer({ deliveries: [...deliveries.values()], doubleAcks });
  else if (cmd === 'end') break;
}
await Promise.all(agents.map((a) => a.client.endAsync()));
process.exit(0);
