import { createServer, type Server, type Socket } from 'node:net';
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { Aedes } from 'aedes';
import { AUTH_FAILURES } from '../auth/plugin.js';
import { type BrokerUser, canPublish, canSubscribe } from './acl.js';

/**
 * The largest MQTT packet either broker takes, in bytes after the fixed header: contracts'
 * LIMITS.maxPayloadBytes (1 MiB) plus room for the topic and properties. The same figure as
 * `max_packet_size` in deploy/mosquitto/mosquitto.conf and site-bridge.conf (a test holds them equal).
 */
export const MAX_MQTT_PACKET_BYTES = 1_100_000;

/**
 * Reads MQTT framing as it passes (fixed header: a type byte, then the remaining length as a
 * variable byte integer of at most 4 bytes, MQTT 3.1.1 §2.2.3) and fails the stream when a packet
 * announces more than `max` bytes, before any of its body is buffered. aedes has no such limit:
 * its parser buffers a whole packet, however large, before it looks at it.
 */
class PacketLimit extends Transform {
  private skip = 0;
  private header: number[] = [];
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const b = chunk[i++]!;
      this.header.push(b);
      if (this.header.length === 1) continue;
      if (b & 0x80) {
        if (this.header.length === 5) {
          cb(new Error('malformed MQTT remaining length (over 4 bytes)'));
          return;
        }
        continue;
      }
      let len = 0;
      for (let k = this.header.length - 1; k >= 1; k--) len = len * 128 + (this.header[k]! & 0x7f);
      this.header = [];
      if (len > this.max) {
        cb(new Error(`MQTT packet of ${len} bytes over the limit of ${this.max}`));
        return;
      }
      this.skip = len;
    }
    cb(null, chunk);
  }
}

/**
 * Failed CONNECT authentications per client address in fixed windows, the HTTP API's limit
 * (AUTH_FAILURES): an address over it is refused (CONNACK not authorized) without its
 * credentials being checked until its window ends. Bounded: cleared past 100,000 addresses.
 */
function failureLimiter(now: () => number) {
  const windows = new Map<string, { start: number; n: number }>();
  const current = (ip: string) => {
    const w = windows.get(ip);
    return w && now() - w.start < AUTH_FAILURES.windowMs ? w : null;
  };
  return {
    locked: (ip: string) => (current(ip)?.n ?? 0) >= AUTH_FAILURES.max,
    fail(ip: string) {
      const w = current(ip);
      if (w) w.n++;
      else {
        if (windows.size > 100_000) windows.clear();
        windows.set(ip, { start: now(), n: 1 });
      }
    },
  };
}

export type EmbeddedBroker = { url: string; port: number; close(): Promise<void> };

type Authenticate = (
  username: string,
  password: string,
  clientId: string,
) => Promise<BrokerUser | { refused: string } | null>;

const sameUser = (a: BrokerUser | undefined, b: BrokerUser) =>
  a !== undefined && a.kind === b.kind && (a.kind === 'controller' || a.agentId === (b as typeof a).agentId);

/**
 * The in-process broker used when no MQTT URL is configured, so one process is a working system.
 * aedes 1.x speaks MQTT 3.1.1 and ignores `$share/`, so the controller subscribes directly and
 * runs as a single replica with it.
 */
export async function startEmbeddedBroker(opts: {
  host: string;
  port: number;
  authenticate: Authenticate;
  onRefused?: (what: string) => void;
  /** The clock of the failed-authentication windows (the app's clock). */
  now: () => number;
}): Promise<EmbeddedBroker> {
  const users = new WeakMap<object, BrokerUser>();
  // The client address of each connection aedes sees (its conn is the PacketLimit duplex).
  const addresses = new WeakMap<object, string>();
  const failures = failureLimiter(opts.now);
  // Connected clients by client id, to refuse a takeover before aedes closes the holder.
  const connected = new Map<string, object>();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const ip = addresses.get(client.conn) ?? 'unknown';
      if (failures.locked(ip)) {
        opts.onRefused?.(`client ${client.id} from ${ip}: too many failed authentications`);
        return done(Object.assign(new Error('not authorized'), { returnCode: 5 }), false);
      }
      if (!username || !password) {
        failures.fail(ip);
        opts.onRefused?.(`client ${client.id}: no username/password`);
        return done(Object.assign(new Error('not authorized'), { returnCode: 4 }), false);
      }
      opts.authenticate(username, password.toString(), client.id).then(
        (user) => {
          if (!user) {
            failures.fail(ip);
            opts.onRefused?.(`client ${client.id}: user ${username}: bad credentials`);
            return done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false);
          }
          // An agent never takes over a client id another user holds (aedes would close that client).
          const holder = connected.get(client.id);
          const refused =
            'refused' in user
              ? user.refused
              : user.kind === 'agent' && holder && !sameUser(users.get(holder), user)
                ? `client id ${client.id} is connected as another user`
                : null;
          if (refused || 'refused' in user) {
            opts.onRefused?.(`client ${client.id}: user ${username}: ${refused}`);
            return done(Object.assign(new Error('identifier rejected'), { returnCode: 2 }), false);
          }
          users.set(client, user);
          done(null, true);
        },
        () => done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false),
      );
    },
    authorizePublish: (client, packet, done) => {
      // client is null for the broker's own publishes (last wills are checked at CONNECT).
      if (!client) return done(null);
      const user = users.get(client);
      if (user && canPublish(user, packet.topic)) return done(null);
      opts.onRefused?.(`client ${client.id}: publish to ${packet.topic} refused`);
      done(new Error(`publish to ${packet.topic} not authorized`));
    },
    authorizeSubscribe: (client, sub, done) => {
      const user = users.get(client);
      if (user && canSubscribe(user, sub.topic)) return done(null, sub);
      opts.onRefused?.(`client ${client.id}: subscribe to ${sub.topic} refused`);
      // A null subscription is a SUBACK failure (0x80) for this filter; the client stays connected.
      done(null, null);
    },
  });
  broker.on('client', (client) => connected.set(client.id, client));
  broker.on('clientDisconnect', (client) => {
    if (connected.get(client.id) === client) connected.delete(client.id);
  });
  const server: Server = createServer((socket: Socket) => {
    const limit = new PacketLimit(MAX_MQTT_PACKET_BYTES);
    limit.on('error', (err) => {
      opts.onRefused?.(`connection from ${socket.remoteAddress}: ${err.message}`);
      socket.destroy();
    });
    socket.on('error', () => limit.destroy());
    socket.pipe(limit);
    const conn = Duplex.from({ readable: limit, writable: socket });
    addresses.set(conn, socket.remoteAddress ?? 'unknown');
    broker.handle(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `mqtt://${opts.host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
