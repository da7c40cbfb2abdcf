import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../agent/src/agent.js';
import {
  Consumer,
  memoryLogger,
  publishCommand,
  Signer,
  simAgentConfig,
  TestBroker,
} from '../agent/test/helpers.js';
import { freePort, waitForPort } from '../agent/test/servers.js';

/**
 * Reboot over SSH against a real OpenSSH server. sshd listens on the simulated miner's own address;
 * the login's ForceCommand is a shell script standing in for the miner's shell: it logs the command
 * line, and the test turns a logged `reboot` into a power cycle of the simulated miner. The agent
 * authenticates with a key and checks sshd's host key against a known_hosts file.
 */
const SSHD = '/usr/sbin/sshd';
const KEYGEN = '/usr/bin/ssh-keygen';
const available = existsSync(SSHD) && existsSync(KEYGEN);
const runOrSkip = !available && !process.env['CI'] ? describe.skip : describe;

runOrSkip('agent reboot over a real OpenSSH server', () => {
  let sim: Simulation;
  let broker: TestBroker;
  let consumer: Consumer;
  let agent: RunningAgent;
  let sshd: ChildProcess;
  const signer = new Signer();
  const dir = mkdtempSync(join(tmpdir(), 'agent-sshd-'));
  const commandLog = join(dir, 'commands.log');
  let watcher: NodeJS.Timeout;
  let minerIp = '';

  beforeAll(async () => {
    if (!available)
      throw new Error(`${SSHD} or ${KEYGEN} missing (apt-get install openssh-server openssh-client)`);
    sim = await startSimulation(smallScenario({ miners: 3, profiles: ['antminer-stock'], pdus: false }));
    minerIp = sim.info('m0001').ip;
    const port = await freePort(minerIp);
    execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
    writeFileSync(
      join(dir, 'miner-shell.sh'),
      `#!/bin/sh\necho "$SSH_ORIGINAL_COMMAND" >> ${commandLog}\nexit 0\n`,
    );
    chmodSync(join(dir, 'miner-shell.sh'), 0o755);
    writeFileSync(commandLog, '');
    chmodSync(commandLog, 0o666);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        `ListenAddress ${minerIp}`,
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        `ForceCommand ${join(dir, 'miner-shell.sh')}`,
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
    await waitForPort(minerIp, port);

    const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dir, 'known_hosts'), `${minerIp} ${hostPub}\n`);
    broker = new TestBroker();
    await broker.start();
    consumer = await Consumer.connect(broker.url);
    const config = simAgentConfig(sim, broker.url, {
      credentials: {
        ssh: { user: process.env['USER'] ?? 'root', privateKey: { file: join(dir, 'client_key') } },
        knownHostsFile: join(dir, 'known_hosts'),
      },
      commands: { publicKey: { base64: signer.publicKeyBase64 }, timeoutMs: 15_000 },
    });
    config.miners.ranges = sim.miners.map((m) => m.ip);
    config.miners.ports.ssh = port;
    agent = await startAgent(config, {
      schedule: 'manual',
      now: () => sim.clock.now(),
      logger: memoryLogger().logger,
    });
    await agent.scanNow();
    await sim.tick(30_000);
    await agent.pollNow();
    // The stand-in shell logged a reboot: the miner reboots (power off, power on, boot time starts).
    watcher = setInterval(() => {
      if (readFileSync(commandLog, 'utf8').includes('reboot') && sim.miner('m0001').uptimeS > 0) {
        void sim.power('m0001', false).then(() => sim.power('m0001', true));
      }
    }, 50);
  });

  afterAll(async () => {
    clearInterval(watcher);
    await agent?.stop();
    sshd?.kill();
    await consumer?.end();
    await broker?.kill();
    await sim?.stop();
  });

  it('reboot: the command runs through sshd, the simulated miner reboots, the result says ssh/succeeded', async () => {
    expect(sim.miner('m0001').uptimeS).toBeGreaterThan(60);
    const cmd = signer.command(
      'lab-c1',
      { op: 'reboot', target: { kind: 'miner', minerKey: minerIp } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id), 20_000);
    const result = consumer.of('results').find((r) => r.commandId === cmd.id)!;
    expect(result).toMatchObject({ status: 'succeeded', transport: 'ssh' });
    expect(readFileSync(commandLog, 'utf8').trim().split('\n')).toEqual(['reboot']);
    await consumer.waitFor(() => sim.miner('m0001').uptimeS === 0);
  });

  it('a changed host key is refused before login', async () => {
    writeFileSync(commandLog, '');
    execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other_key')]);
    const otherPub = readFileSync(join(dir, 'other_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dir, 'known_hosts'), `${minerIp} ${otherPub}\n`);
    await agent.stop();
    const config = simAgentConfig(sim, broker.url, {
      credentials: {
        ssh: { user: process.env['USER'] ?? 'root', privateKey: { file: join(dir, 'client_key') } },
        knownHostsFile: join(dir, 'known_hosts'),
      },
      commands: { publicKey: { base64: signer.publicKeyBase64 } },
    });
    config.miners.ranges = sim.miners.map((m) => m.ip);
    config.miners.ports.ssh = Number(readFileSync(join(dir, 'sshd_config'), 'utf8').match(/Port (\d+)/)![1]);
    agent = await startAgent(config, {
      schedule: 'manual',
      now: () => sim.clock.now(),
      logger: memoryLogger().logger,
    });
    await sim.tick(120_000); // past the boot of the reboot above
    // Simulator: a miner powered on through power() is not re-bound after its boot; clearFault re-syncs it.
    await sim.clearFault('m0001');
    await agent.scanNow();
    await agent.pollNow();
    const cmd = signer.command(
      'lab-c1',
      { op: 'reboot', target: { kind: 'miner', minerKey: minerIp } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id), 20_000);
    const result = consumer.of('results').find((r) => r.commandId === cmd.id)!;
    expect(result.status, `${result.refusal}: ${result.message}`).toBe('failed');
    expect(result.message).toContain('host key');
    expect(readFileSync(commandLog, 'utf8')).toBe('');
  });
});
