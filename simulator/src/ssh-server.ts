import { generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import ssh2 from 'ssh2';
import { checkImage } from './model/firmware-image.js';
import type { MinerModel } from './model/miner.js';

/** What the SSH side may do to a miner: the command lines the profiles use. */
type ShellCommand = (miner: MinerModel, now: number) => { stdout: string; exit: number; after?: () => void };

const COMMANDS: Record<string, ShellCommand> = {
  reboot: (m, now) => ({ stdout: '', exit: 0, after: () => m.reboot(now) }),
  '/sbin/reboot': (m, now) => ({ stdout: '', exit: 0, after: () => m.reboot(now) }),
  '/etc/init.d/bosminer restart': (m, now) => ({
    stdout: 'Restarting bosminer\n',
    exit: 0,
    after: () => m.restartDaemon(now),
  }),
  '/etc/init.d/bmminer.sh restart': (m, now) => ({ stdout: '', exit: 0, after: () => m.restartDaemon(now) }),
  uptime: (m, now) => ({ stdout: `up ${Math.floor(m.uptimeS(now) / 60)} min\n`, exit: 0 }),
  'cat /proc/sys/kernel/hostname': (m) => ({ stdout: `${m.hostname}\n`, exit: 0 }),
};

/**
 * Command lines matched by pattern: Braiins OS power target by editing bosminer.toml then
 * restarting bosminer (the braiins-os profile's power.target step).
 */
const PATTERNS: [
  RegExp,
  (miner: MinerModel, now: number, m: RegExpMatchArray) => ReturnType<ShellCommand>,
][] = [
  [
    /^sed -i .*\b(?:power_target|psu_power_limit)\b.*= *(\d+)\/.*\/etc\/bosminer\.toml && \/etc\/init\.d\/bosminer restart$/,
    (miner, now, match) => {
      miner.powerLimitW = Number(match[1]);
      return { stdout: 'Restarting bosminer\n', exit: 0, after: () => miner.restartDaemon(now) };
    },
  ],
];

/**
 * The braiins-os profile's upgrade: the image on standard input to /tmp/firmware.tar, flashed by
 * `sysupgrade -F`; the miner reboots once the exit status is sent.
 */
const UPGRADE = 'cat > /tmp/firmware.tar && sysupgrade -F /tmp/firmware.tar';
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

function lookup(line: string): ((miner: MinerModel, now: number) => ReturnType<ShellCommand>) | null {
  const exact = COMMANDS[line];
  if (exact) return exact;
  for (const [re, run] of PATTERNS) {
    const m = re.exec(line);
    if (m) return (miner, now) => run(miner, now, m);
  }
  return null;
}

export type SshHost = {
  /** The miner reached at a local address, or null. */
  minerAt(address: string): MinerModel | null;
  now(): number;
  /** Called after a command's effect so listeners follow the miner's state. */
  changed(miner: MinerModel): void;
};

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * One ssh2 server shared by every simulated miner: each miner's listener hands its sockets in,
 * and the miner is the one bound to the address the client reached. Password auth with the
 * firmware's default account (user `root`, the miner's SSH password), one host key for the whole
 * simulation (clients pin `hostKey`), `exec` of the command lines above.
 */
export class SimSshServer {
  readonly hostKey: string;
  private readonly server: InstanceType<typeof ssh2.Server>;

  constructor(private readonly host: SshHost) {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const parsed = ssh2.utils.parseKey(privateKey);
    if (parsed instanceof Error) throw parsed;
    this.hostKey = `ssh-rsa ${parsed.getPublicSSH().toString('base64')}`;
    this.server = new ssh2.Server({ hostKeys: [privateKey] }, (client, info) => this.onClient(client, info));
    this.server.on('error', () => {});
  }

  accept(socket: Socket): void {
    this.server.injectSocket(socket);
  }

  /** Reads the image to its end, then refuses it (exit 1, its reason) or takes it and reboots. */
  private upgrade(miner: MinerModel, channel: ssh2.ServerChannel): void {
    const chunks: Buffer[] = [];
    let size = 0;
    channel.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_IMAGE_BYTES) chunks.push(d);
    });
    channel.on('end', () => {
      const verdict =
        size > MAX_IMAGE_BYTES
          ? { ok: false as const, why: `image over ${MAX_IMAGE_BYTES} bytes` }
          : checkImage(miner, Buffer.concat(chunks));
      if (!verdict.ok) {
        channel.stderr.write(`sysupgrade: ${verdict.why}\n`);
        channel.exit(1);
        channel.end();
        return;
      }
      channel.write('Saving config files...\n');
      channel.exit(0);
      channel.end();
      setImmediate(() => {
        miner.flash(this.host.now(), verdict.version);
        this.host.changed(miner);
      });
    });
  }

  private onClient(client: ssh2.Connection, _info: ssh2.ClientInfo): void {
    const local = (client as unknown as { _sock?: Socket })._sock?.localAddress ?? '';
    const miner = this.host.minerAt(local.replace(/^::ffff:/, ''));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (
        miner &&
        ctx.method === 'password' &&
        ctx.username === 'root' &&
        same(ctx.password, miner.sshPassword)
      )
        ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('session', (acceptSession) => {
      const session = acceptSession();
      session.on('exec', (accept, _reject, info) => {
        const channel = accept();
        if (!miner) {
          channel.exit(1);
          channel.end();
          return;
        }
        if (info.command.trim() === UPGRADE) {
          this.upgrade(miner, channel);
          return;
        }
        const run = lookup(info.command.trim());
        if (!run) {
          channel.stderr.write(`sh: ${info.command.split(' ')[0]}: not found\n`);
          channel.exit(127);
          channel.end();
          return;
        }
        const out = run(miner, this.host.now());
        channel.write(out.stdout);
        channel.exit(out.exit);
        channel.end();
        if (out.after) {
          const after = out.after;
          // The effect lands once the exit status is on its way, as `reboot` does on a real box.
          setImmediate(() => {
            after();
            this.host.changed(miner);
          });
        }
      });
    });
  }
}
