import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentPlaces, bindAgentPlaces, placesFromArgs, placeVerdict } from '../src/core/auth/agent-places.js';
import { createToken } from '../src/core/auth/tokens.js';
import { main } from '../src/core/cli/main.js';
import type { RunningController } from '../src/core/server.js';
import { openDb } from '../src/core/storage/db.js';
import { embeddedController, tempDir } from './helpers.js';

/**
 * Issue 17 item 1: an agent speaks only for the containers its credential is bound to. Before
 * this, ingest trusted the payload's container and site, so one agent's token could move another
 * container's miner to itself (the reconciler followed the serial).
 */

/** Publishes one telemetry message over the embedded broker as `agentId` with its token. */
async function publishTelemetry(running: RunningController, agentId: string, token: string, msg: unknown) {
  const client = await mqtt.connectAsync(running.mqttUrl, {
    clientId: agentId,
    username: agentId,
    password: token,
  });
  await client.publishAsync(topics.telemetry(agentId), JSON.stringify(msg), { qos: 1 });
  await client.endAsync();
}

const containerOfSerial = async (running: RunningController, serial: string) =>
  (
    await running.db.get<{ container_id: string }>('SELECT container_id FROM miners WHERE serial = ?', [
      serial,
    ])
  )?.container_id;

describe('placeVerdict', () => {
  const rows = [
    { agentId: 'a1', siteId: 's1', containerId: 'c1' },
    { agentId: 'a2', siteId: 's1', containerId: 'c2' },
  ];
  it.each([
    ['a1', 's1', 'c1', 'own'],
    ['a1', 's2', 'c1', 'foreign_place'],
    ['a1', 's1', 'c2', 'foreign_place'],
    ['a1', 's1', 'c9', 'foreign_place'],
    ['a9', 's1', 'c1', 'foreign_place'],
    ['a9', 's1', 'c9', 'unbound'],
  ])('agent %s claiming %s/%s: %s', (agent, siteId, containerId, verdict) => {
    const relevant = rows.filter((r) => r.agentId === agent || r.containerId === containerId);
    expect(placeVerdict(agent, relevant, { siteId, containerId })).toBe(verdict);
  });
  it('reads --site and --container, and names what is missing', () => {
    expect(placesFromArgs(['a', '--site', 's1', '--container', 'c1', '--container', 'c2'])).toEqual({
      places: [
        { siteId: 's1', containerId: 'c1' },
        { siteId: 's1', containerId: 'c2' },
      ],
    });
    expect(placesFromArgs(['a'])).toBeNull();
    expect(placesFromArgs(['a', '--container', 'c1'])).toEqual({
      error: '--site: give exactly one site id with --container',
    });
  });
});

describe('the CLI binds an agent to its places', () => {
  it('token create and broker add-agent take --site and --container into the registry', async () => {
    const tmp = tempDir();
    const dbFile = join(tmp.dir, 'c.db');
    const config = join(tmp.dir, 'c.yaml');
    writeFileSync(config, `dataDir: ${tmp.dir}\nstorage:\n  url: sqlite:${dbFile}\nlog:\n  level: silent\n`);
    try {
      const cli = (...args: string[]) => main(['--config', config, ...args]);
      expect(
        await cli(
          'token',
          'create',
          '--role',
          'agent',
          '--name',
          'kz-c7',
          '--site',
          'kz',
          '--container',
          'kz-c7',
        ),
      ).toBe(0);
      expect(await cli('token', 'create', '--role', 'agent', '--name', 'kz-c8', '--container', 'kz-c8')).toBe(
        2,
      );
      const passwd = join(tmp.dir, 'passwd');
      const secret = join(tmp.dir, 'secret');
      expect(
        await cli(
          'broker',
          'add-agent',
          'kz-c9',
          '--passwd',
          passwd,
          '--secret',
          secret,
          '--site',
          'kz',
          '--container',
          'kz-c9',
          '--container',
          'kz-c10',
        ),
      ).toBe(0);
      const db = await openDb(`sqlite:${dbFile}`);
      try {
        expect(await agentPlaces(db, 'kz-c7')).toEqual([{ siteId: 'kz', containerId: 'kz-c7' }]);
        expect(await agentPlaces(db, 'kz-c8')).toEqual([]);
        expect(await agentPlaces(db, 'kz-c9')).toEqual([
          { siteId: 'kz', containerId: 'kz-c10' },
          { siteId: 'kz', containerId: 'kz-c9' },
        ]);
      } finally {
        await db.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('embedded broker: an agent publishing for another container', () => {
  let running: RunningController;
  let stop: () => Promise<void>;
  let victimToken: string;
  let attackerToken: string;
  const T0 = exampleSample.at;

  // Each serial with its own MAC and address: the reconciler also follows those.
  const macs: Record<string, string> = {
    VICTIM1: '02:00:00:00:00:01',
    FUZZ1: '02:00:00:00:00:02',
    LOOSE1: '02:00:00:00:00:03',
    LOOSE2: '02:00:00:00:00:04',
  };
  const batch = (agentId: string, containerId: string, seq: number, serial: string): Telemetry => ({
    ...exampleTelemetry,
    agentId,
    bootId: `${agentId}-boot`,
    containerId,
    seq,
    agent: null,
    unreachable: [],
    samples: [
      {
        ...exampleSample,
        minerKey: `SN-${serial}`,
        serial,
        mac: macs[serial]!,
        ip: `10.9.0.${Object.keys(macs).indexOf(serial) + 1}`,
        at: T0 + seq,
      },
    ],
  });
  const publish = (agentId: string, token: string, msg: Telemetry) =>
    publishTelemetry(running, agentId, token, msg);
  const minerContainer = (serial: string) => containerOfSerial(running, serial);
  const metrics = async () => (await fetch(`${running.url}/metrics`)).text();

  beforeAll(async () => {
    // The default, spelled out: the test helpers accept unbound agents for other features' tests.
    ({
      running,
      stop,
      token: victimToken,
    } = await embeddedController('unused', {
      ingest: { unboundAgents: 'refuse' },
    }));
    victimToken = await createToken(running.db, {
      role: 'agent',
      name: 'sc-c01',
      places: [{ siteId: 'sichuan', containerId: 'sc-c01' }],
    });
    attackerToken = await createToken(running.db, {
      role: 'agent',
      name: 'fuzz-01',
      places: [{ siteId: 'sichuan', containerId: 'fuzz-c1' }],
    });
  });
  afterAll(async () => {
    await stop?.();
  });

  it('is rejected, counted per agent and audited; the victim miner stays where it was', async () => {
    await publish('sc-c01', victimToken, batch('sc-c01', 'sc-c01', 0, 'VICTIM1'));
    await expect.poll(() => minerContainer('VICTIM1')).toBe('sc-c01');

    // The attacker's own container first (accepted), then the victim's container with its serial.
    await publish('fuzz-01', attackerToken, batch('fuzz-01', 'fuzz-c1', 0, 'FUZZ1'));
    await expect.poll(() => minerContainer('FUZZ1')).toBe('fuzz-c1');
    await publish('fuzz-01', attackerToken, batch('fuzz-01', 'sc-c01', 1, 'VICTIM1'));
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_place",agent="fuzz-01"\} 1/);

    expect(await minerContainer('VICTIM1')).toBe('sc-c01');
    const owners = await running.db.all<{ agent_id: string }>(
      "SELECT am.agent_id FROM agent_miners am JOIN miners m ON m.id = am.miner_id WHERE m.serial = 'VICTIM1'",
    );
    expect(owners.map((o) => o.agent_id)).toEqual(['sc-c01']);
    const hourly = await running.db.all<{ container_id: string }>(
      'SELECT DISTINCT container_id FROM container_hourly ORDER BY container_id',
    );
    expect(hourly.map((h) => h.container_id)).toEqual(['fuzz-c1', 'sc-c01']);
    const audit = await running.db.all<{ action: string; actor_name: string; details_json: string }>(
      "SELECT action, actor_name, details_json FROM audit_log WHERE action = 'ingest.reject'",
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor_name).toBe('fuzz-01');
    expect(JSON.parse(audit[0]!.details_json)).toMatchObject({
      reason: 'foreign_place',
      kind: 'telemetry',
      seq: 1,
      siteId: 'sichuan',
      containerId: 'sc-c01',
    });
  });

  it('POST /api/v1/tokens binds an agent token to its places, and refuses places on another role', async () => {
    const admin = await createToken(running.db, { role: 'admin', name: 'admin-places' });
    const post = (body: unknown) =>
      fetch(`${running.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const places = [{ siteId: 'kazakhstan', containerId: 'kz-c01' }];
    expect((await post({ role: 'agent', name: 'kz-c01', places })).status).toBe(201);
    expect(await agentPlaces(running.db, 'kz-c01')).toEqual(places);
    const refused = await post({ role: 'operator', name: 'op-places', places });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/body\.places/);
  });

  it("refuses an agent connecting under another agent's client id, connected or not", async () => {
    const victim = await mqtt.connectAsync(running.mqttUrl, {
      clientId: 'sc-c01',
      username: 'sc-c01',
      password: victimToken,
      reconnectPeriod: 0,
    });
    const as = (clientId: string) =>
      mqtt.connectAsync(running.mqttUrl, {
        clientId,
        username: 'fuzz-01',
        password: attackerToken,
        reconnectPeriod: 0,
      });
    await expect(as('sc-c01')).rejects.toThrow(/identifier rejected/i);
    // Still connected: its QoS 1 publish is acknowledged.
    await victim.publishAsync(topics.events('sc-c01'), 'x', { qos: 1 });
    expect(victim.connected).toBe(true);
    await victim.endAsync();
    await expect(as('sc-c01')).rejects.toThrow(/identifier rejected/i);
    const own = await as('fuzz-01-probe');
    await own.endAsync();
  });

  it('an unbound agent cannot claim a bound container either', async () => {
    const token = await createToken(running.db, { role: 'agent', name: 'loose-01' });
    await publish('loose-01', token, batch('loose-01', 'sc-c01', 0, 'VICTIM1'));
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_place",agent="loose-01"\} 1/);
    expect(await minerContainer('VICTIM1')).toBe('sc-c01');
  });

  it('an agent bound nowhere is refused by default: counted, audited, nothing stored; applied once bound', async () => {
    const token = await createToken(running.db, { role: 'agent', name: 'loose-03' });
    const msg = batch('loose-03', 'loose-c3', 0, 'LOOSE1');
    await publish('loose-03', token, msg);
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="unbound",agent="loose-03"\} 1/);
    expect(await minerContainer('LOOSE1')).toBeUndefined();
    const audit = await running.db.all<{ details_json: string }>(
      "SELECT details_json FROM audit_log WHERE action = 'ingest.reject' AND actor_name = 'loose-03'",
    );
    expect(audit.map((a) => JSON.parse(a.details_json))).toMatchObject([
      { reason: 'unbound', containerId: 'loose-c3', why: expect.stringMatching(/bound to no container/) },
    ]);
    // Not acknowledged, so the agent keeps it in its spool; once bound, its republish is applied.
    await bindAgentPlaces(running.db, 'loose-03', [{ siteId: 'sichuan', containerId: 'loose-c3' }], T0);
    await publish('loose-03', token, msg);
    await expect.poll(() => minerContainer('LOOSE1')).toBe('loose-c3');
  });

  it("a bound agent cannot pull another container's miner into its own: left out, counted, audited", async () => {
    // Its own container, naming the victim by serial beside a miner of its own.
    const both = batch('fuzz-01', 'fuzz-c1', 2, 'FUZZ1');
    both.samples.push({ ...batch('fuzz-01', 'fuzz-c1', 2, 'VICTIM1').samples[0]! });
    await publish('fuzz-01', attackerToken, both);
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_miner",agent="fuzz-01"\} 1/);
    expect(await minerContainer('VICTIM1')).toBe('sc-c01');
    const owners = await running.db.all<{ agent_id: string }>(
      "SELECT am.agent_id FROM agent_miners am JOIN miners m ON m.id = am.miner_id WHERE m.serial = 'VICTIM1'",
    );
    expect(owners.map((o) => o.agent_id)).toEqual(['sc-c01']);
    // The rest of the batch is applied: its own miner's sample is its latest.
    const latest = await running.db.get<{ at: number }>(
      "SELECT l.at FROM miner_latest l JOIN miners m ON m.id = l.miner_id WHERE m.serial = 'FUZZ1'",
    );
    expect(latest?.at).toBe(T0 + 2);
    const foreignAudit = async () =>
      (
        await running.db.all<{ details_json: string }>(
          "SELECT details_json FROM audit_log WHERE action = 'ingest.reject' AND actor_name = 'fuzz-01'",
        )
      )
        .map((a) => JSON.parse(a.details_json))
        .filter((d) => d.reason === 'foreign_miner');
    await expect
      .poll(foreignAudit)
      .toMatchObject([{ containerId: 'fuzz-c1', miners: [{ serial: 'VICTIM1', containerId: 'sc-c01' }] }]);
    // Nor by the victim's MAC (in other letter case) under a serial nobody knows.
    const byMac = batch('fuzz-01', 'fuzz-c1', 3, 'VICTIM1');
    byMac.samples[0] = {
      ...byMac.samples[0]!,
      serial: 'OTHER9',
      minerKey: 'SN-OTHER9',
      mac: macs.VICTIM1!.toUpperCase(),
    };
    await publish('fuzz-01', attackerToken, byMac);
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_miner",agent="fuzz-01"\} 2/);
    expect(await minerContainer('VICTIM1')).toBe('sc-c01');
    expect(await minerContainer('OTHER9')).toBeUndefined();
  });

  it('a miner in transit (in no container) is placed by the bound agent that sees it', async () => {
    await publish('sc-c01', victimToken, batch('sc-c01', 'sc-c01', 1, 'LOOSE2'));
    await expect.poll(() => minerContainer('LOOSE2')).toBe('sc-c01');
    await running.db.run(
      "UPDATE miners SET container_id = NULL, slot_id = NULL, status = 'in_transit' WHERE serial = 'LOOSE2'",
    );
    await publish('fuzz-01', attackerToken, batch('fuzz-01', 'fuzz-c1', 4, 'LOOSE2'));
    await expect.poll(() => minerContainer('LOOSE2')).toBe('fuzz-c1');
  });
});

describe('ingest.unboundAgents: accept (a migration period)', () => {
  let running: RunningController;
  let stop: () => Promise<void>;
  const metrics = async () => (await fetch(`${running.url}/metrics`)).text();
  const T0 = exampleSample.at;
  const sample = (serial: string, mac: string, at: number) => ({
    ...exampleSample,
    minerKey: `SN-${serial}`,
    serial,
    mac,
    ip: '10.9.1.1',
    at,
  });
  const send = async (
    agentId: string,
    token: string,
    containerId: string,
    seq: number,
    samples: unknown[],
  ) => {
    const msg = {
      ...exampleTelemetry,
      agentId,
      bootId: `${agentId}-boot`,
      containerId,
      seq,
      agent: null,
      unreachable: [],
      samples,
    };
    await publishTelemetry(running, agentId, token, msg);
  };
  const containerOf = (serial: string) => containerOfSerial(running, serial);

  beforeAll(async () => {
    ({ running, stop } = await embeddedController('unused', { ingest: { unboundAgents: 'accept' } }));
  });
  afterAll(async () => {
    await stop?.();
  });

  it("accepts an unbound agent's own miners, counted, but not a bound container's miner", async () => {
    const owner = await createToken(running.db, {
      role: 'agent',
      name: 'sc-c02',
      places: [{ siteId: 'sichuan', containerId: 'sc-c02' }],
    });
    await send('sc-c02', owner, 'sc-c02', 0, [sample('VICTIM2', '02:00:00:00:01:01', T0)]);
    await expect.poll(() => containerOf('VICTIM2')).toBe('sc-c02');
    const loose = await createToken(running.db, { role: 'agent', name: 'loose-02' });
    await send('loose-02', loose, 'loose-c2', 0, [
      sample('LOOSE4', '02:00:00:00:01:02', T0),
      sample('VICTIM2', '02:00:00:00:01:01', T0),
    ]);
    await expect.poll(() => containerOf('LOOSE4')).toBe('loose-c2');
    expect(await containerOf('VICTIM2')).toBe('sc-c02');
    const text = await metrics();
    expect(text).toMatch(/hashfleet_ingest_unbound_total\{agent="loose-02"\} 1/);
    expect(text).toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_miner",agent="loose-02"\} 1/);
  });
});
