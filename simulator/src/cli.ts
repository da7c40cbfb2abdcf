import { parseArgs } from 'node:util';
import { ALL_PROFILES, loadScenario, type ScenarioName, type Simulation, startSimulation } from './index.js';
import { recordMiner } from './record/record.js';

const USAGE = `usage:
  simulator run <demo|bench> [--seed N] [--miners N] [--clock real|manual] [--free-block] [--list]
      start a scenario and print where every miner and PDU listens; Ctrl-C stops it
  simulator record --ip <ip> --profile <id> --out <dir> [--port N] [--timeout-ms N]
      poll one miner (real or simulated) with a profile's poll steps and write a testcase folder
      (raw replies byte-exact, MACs/serials/worker names anonymised); profiles: ${ALL_PROFILES.join(', ')}`;

const fail = (msg: string): never => {
  process.stderr.write(`simulator: ${msg}\n${USAGE}\n`);
  process.exit(2);
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describeSimulation(sim: Simulation, list: boolean): string {
  const out: string[] = [];
  const s = sim.scenario;
  out.push(
    `scenario ${s.name}: ${sim.miners.length} miners, ${sim.pdus.length} PDUs, seed ${s.seed}, clock ${sim.clock.mode}`,
  );
  const rows = [['container', 'site', 'ip block', 'miners', 'firmwares']];
  for (const c of s.containers) {
    const ms = sim.miners.filter((m) => m.containerId === c.id);
    const byProfile = new Map<string, number>();
    for (const m of ms) byProfile.set(m.profile, (byProfile.get(m.profile) ?? 0) + 1);
    const block = ms[0] ? `${ms[0].ip.split('.').slice(0, 3).join('.')}.0/24` : c.ipBlock;
    rows.push([
      c.id,
      c.siteId,
      block,
      String(ms.length),
      [...byProfile].map(([p, n]) => `${p} ${n}`).join(', '),
    ]);
  }
  out.push('', table(rows));
  out.push(
    '',
    `RPC on port ${s.ports.rpc} at each miner's IP; Whatsminer v3 also on ${s.ports.wmV3}. Scan the blocks above.`,
  );
  if (s.ports.ssh)
    out.push(`SSH on ${s.ports.ssh}: user root, the firmware's default password; host key ${sim.sshHostKey}`);
  if (s.ports.http) out.push(`Antminer web CGI on ${s.ports.http}: HTTP digest root/root`);
  if (sim.pdus.length) {
    const p = [['pdu', 'vendor', 'snmp', 'v2c read/write', 'v3 user (authPriv SHA/AES)', 'outlets']];
    for (const x of sim.pdus)
      p.push([
        x.id,
        x.vendor,
        `${x.host}:${x.port}/udp`,
        `${x.community}/${x.writeCommunity}`,
        `${x.v3.user} ${x.v3.authKey} ${x.v3.privKey}`,
        String(x.outlets),
      ]);
    out.push('', table(p));
  }
  if (list) {
    const m = [
      [
        'miner',
        'ip',
        'ports',
        'profile',
        'model',
        'serial',
        'mac',
        'container',
        'rack',
        'slot',
        'pdu:outlet',
      ],
    ];
    for (const x of sim.miners) {
      m.push([
        x.id,
        x.ip,
        [x.ports.rpc, x.ports.wmV3].filter(Boolean).join(','),
        x.profile,
        x.model,
        x.serial,
        x.mac,
        x.containerId,
        x.rack,
        x.slot,
        x.pduId ? `${x.pduId}:${x.outlet}` : '-',
      ]);
    }
    out.push('', table(m));
  }
  const faults = s.faults.map((f) => `${f.minerId} ${f.fault.kind}`);
  if (faults.length) out.push('', `faults: ${faults.join('; ')}`);
  return out.join('\n');
}

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      miners: { type: 'string' },
      clock: { type: 'string', default: 'real' },
      'free-block': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (name !== 'demo' && name !== 'bench')
    return fail(`run: scenario must be demo or bench, got ${name ?? '(none)'}`);
  if (values.clock !== 'real' && values.clock !== 'manual')
    return fail(`run: --clock must be real or manual`);
  const num = (v: string | undefined, what: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isInteger(n) ? n : fail(`run: --${what} must be an integer, got ${v}`);
  };
  const seed = num(values.seed, 'seed');
  const miners = num(values.miners, 'miners');
  if (name === 'demo' && miners !== undefined) return fail('run: --miners applies to bench only');
  const scenario =
    name === 'demo'
      ? loadScenario('demo', { ...(seed !== undefined ? { seed } : {}) })
      : loadScenario('bench', {
          ...(seed !== undefined ? { seed } : {}),
          ...(miners !== undefined ? { miners } : {}),
        });
  if (values['free-block']) scenario.addressing = 'free-block';
  const started = Date.now();
  const sim = await startSimulation(scenario, {
    clock: values.clock,
    onProgress: (done, total) => process.stderr.write(`\rbinding listeners ${done}/${total}`),
  });
  process.stderr.write(`\rbound ${sim.miners.length} miners in ${Date.now() - started} ms\n`);
  process.stdout.write(`${describeSimulation(sim, values.list)}\n`);
  const stop = async () => {
    process.stderr.write('stopping\n');
    await sim.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function record(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ip: { type: 'string' },
      port: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      'timeout-ms': { type: 'string' },
    },
  });
  if (!values.ip) return fail('record: --ip is required');
  if (!values.profile) return fail('record: --profile is required');
  if (!values.out) return fail('record: --out is required');
  const result = await recordMiner({
    ip: values.ip,
    profile: values.profile,
    out: values.out,
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['timeout-ms'] ? { timeoutMs: Number(values['timeout-ms']) } : {}),
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `wrote ${result.dir}: ${Object.values(result.files).filter(Boolean).length} replies; anonymised ${result.replaced.mac} MAC, ${result.replaced.serial} serial, ${result.replaced.worker} worker values. Review expected*.json before committing.\n`,
  );
  if (result.failed.length) process.exitCode = 1;
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = { run, record };
const handler = command ? commands[command] : undefined;
if (!handler) fail(`unknown command ${command ?? '(none)'}`);
else
  handler(rest).catch((err: Error) => {
    process.stderr.write(`simulator: ${err.message}\n`);
    process.exit(1);
  });

export type { ScenarioName };
