import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { json, rpc } from './client.js';

/** The optional SSH side: firmware default root password, a pinned host key, `reboot` and daemon restart. */
let sim: Simulation;
beforeAll(async () => {
  sim = await startSimulation(
    smallScenario({ miners: 2, profiles: ['braiins-os', 'antminer-stock'], pdus: false, seed: 2 }),
    { sshPort: 2222 },
  );
});
afterAll(() => sim?.stop());

function exec(
  ip: string,
  password: string,
  command: string,
): Promise<{ code: number; stdout: string; keyOk: boolean }> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    let keyOk = false;
    c.on('ready', () => {
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', () => {});
        stream.on('exit', (code: number) => {
          c.end();
          resolve({ code, stdout, keyOk });
        });
      });
    });
    c.on('error', reject);
    c.connect({
      host: ip,
      port: 2222,
      username: 'root',
      password,
      readyTimeout: 5000,
      hostVerifier: (key: Buffer) => {
        keyOk = `ssh-rsa ${key.toString('base64')}` === sim.sshHostKey;
        return keyOk;
      },
    });
  });
}

describe('simulated SSH', () => {
  it('rejects a wrong password', async () => {
    const m = sim.miners.find((x) => x.profile === 'braiins-os')!;
    await expect(exec(m.ip, 'wrong', 'uptime')).rejects.toThrow(/authentication/i);
  });

  it('`/etc/init.d/bosminer restart` restarts the daemon: API gone, back with counters from zero', async () => {
    const m = sim.miners.find((x) => x.profile === 'braiins-os')!;
    expect(m.ports.ssh).toBe(2222);
    const r = await exec(m.ip, 'root', '/etc/init.d/bosminer restart');
    expect(r).toMatchObject({ code: 0, keyOk: true });
    await sim.tick(0);
    await expect(rpc(m.ip, 4028, json('summary'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.tick(10_000);
    expect(sim.miner(m.id).accepted).toBe(0);
  });

  it("the braiins-os profile's power-target line (sed on bosminer.toml + restart) sets the limit", async () => {
    const m = sim.miners.find((x) => x.profile === 'braiins-os')!;
    await sim.tick(20_000);
    const line =
      "sed -i -e '/^\\[autotuning\\]/,/^\\[/ s/^\\(power_target\\|psu_power_limit\\) *=.*/\\1 = 1100/' /etc/bosminer.toml && /etc/init.d/bosminer restart";
    expect((await exec(m.ip, 'root', line)).code).toBe(0);
    await sim.tick(11_000);
    const t = sim.miner(m.id);
    expect(t.powerLimitW).toBe(1100);
    expect(t.hashrateThs).toBeLessThan(t.nominalThs * 0.9);
  });

  it('`reboot` on an Antminer with its default password reboots it; unknown commands exit 127', async () => {
    const m = sim.miners.find((x) => x.profile === 'antminer-stock')!;
    expect((await exec(m.ip, 'miner', 'rm -rf /')).code).toBe(127);
    expect((await exec(m.ip, 'miner', 'reboot')).code).toBe(0);
    await sim.tick(0);
    expect(sim.miner(m.id).apiUp).toBe(false);
    await sim.tick(61_000);
    expect(sim.miner(m.id).apiUp).toBe(true);
    expect(sim.miner(m.id).uptimeS).toBeLessThan(62);
  });
});
