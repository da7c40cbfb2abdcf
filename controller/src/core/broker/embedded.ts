import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { type BrokerUser, canPublish, canSubscribe } from './acl.js';

export type EmbeddedBroker = { url: string; port: number; close(): Promise<void> };

type Authenticate = (username: string, password: string) => Promise<BrokerUser | null>;

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
}): Promise<EmbeddedBroker> {
  const users = new WeakMap<object, BrokerUser>();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (!username || !password) {
        opts.onRefused?.(`client ${client.id}: no username/password`);
        return done(Object.assign(new Error('not authorized'), { returnCode: 4 }), false);
      }
      opts.authenticate(username, password.toString()).then(
        (user) => {
          if (!user) {
            opts.onRefused?.(`client ${client.id}: user ${username}: bad credentials`);
            return done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false);
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
  const server: Server = createServer(broker.handle);
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
