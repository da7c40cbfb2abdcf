/**
 * Load generator for ingest.bench.ts, in its own process so the controller's CPU figures are its
 * own. Reads commands on stdin: `round <r> <seq>` publishes one telemetry batch per container
 * (sentAt = publish time) and answers `published <r>`; `end` disconnects. `batch` is also the
 * message of the scale rehearsal's agents (scale/publisher.ts).
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import mqtt from 'mqtt';

export const agentId = (c: number) => `bench-c${c}`;

/**
 * An Antminer S19 Pro's three hash boards (firmware-profiles/src/models.ts), as a healthy miner
 * reports them; one miner in 200 has its third board dead (0 chips, 0 TH/s), so the alert tick
 * and remediation see the few faults a fleet has, not one on every miner (contracts' example
 * sample lists one board, which the tick reads as two boards missing on every miner).
 */
function boardsOf(c: number, m: number): MinerSample['boards'] {
  const dead = (c * 500 + m) % 200 === 7;
  return [1, 2, 3].map((index) => ({
    index,
    hashrateThs: dead && index === 3 ? 0 : 36.7,
    expectedHashrateThs: 36.6,
    chips: dead && index === 3 ? 0 : 114,
    chipTempC: 72,
    boardTempC: 58,
  }));
}

/** Telemetry of container `c`'s agent: `miners` samples from miner `first` on, taken now. */
export function batch(
  c: number,
  round: number,
  seq: number,
  miners: number,
  first = 0,
  bootId = 'bench-boot-0001',
): Telemetry {
  const at = Date.now();
  return {
    ...exampleTelemetry,
    agentId: agentId(c),
    bootId,
    seq,
    sentAt: at,
    siteId: 'bench-site',
    containerId: `bench-c${c}`,
    samples: Array.from({ length: miners }, (_, i) => first + i).map((m) => ({
      ...exampleSample,
      minerKey: `c${c}-m${m}`,
      serial: `BENCH-${c}-${m}`,
      mac: null,
      ip: `10.${c}.${m >> 8}.${m & 255}`,
      slot: { rack: `R${Math.floor(m / 20) + 1}`, slot: String((m % 20) + 1) },
      boards: boardsOf(c, m),
      at: at - 100 + round,
      work: { diff1Shares: 1000, sinceAt: at - 30_000, counterReset: false },
    })),
    unreachable: [],
    agent: null,
  };
}

async function main() {
  const [url, containersArg, minersArg, tokensJson] = process.argv.slice(2);
  const CONTAINERS = Number(containersArg);
  const MINERS = Number(minersArg);
  const tokens = JSON.parse(tokensJson!) as Record<string, string>;
  const publishers = await Promise.all(
    Array.from({ length: CONTAINERS }, (_, c) =>
      mqtt.connectAsync(url!, { username: agentId(c), password: tokens[agentId(c)]!, clientId: agentId(c) }),
    ),
  );
  console.log('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, r, seq] = line.split(' ');
    if (cmd === 'end') break;
    await Promise.all(
      publishers.map((p, c) =>
        p.publishAsync(
          topics.telemetry(agentId(c)),
          JSON.stringify(batch(c, Number(r), Number(seq), MINERS)),
          {
            qos: 1,
          },
        ),
      ),
    );
    console.log(`published ${r}`);
  }
  for (const p of publishers) await p.endAsync();
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
