import { IdSchema } from '@hashfleet/contracts';
import { PROFILES } from '@hashfleet/firmware-profiles/registry';
import { z } from 'zod';
import { PduVendorIdSchema } from './pdu/vendors.js';
import { resolveSecret, type Secret } from './secret.js';

/**
 * The agent's configuration file (docs/style.md §9): every option has a default where one makes sense and
 * a one-line description. Credentials are references to a file or an environment variable and are
 * resolved once, here, into `Secret`s that never print.
 */
const PROFILE_IDS: readonly string[] = PROFILES.map((p) => p.id);

/**
 * Long because it is one declarative schema, an option per few lines, each with its default and
 * description; split, the options of one file would be read in several.
 */
export function agentConfigSchema(baseDir: string) {
  const secretRef = z
    .union([
      z.strictObject({ file: z.string().min(1).describe('path of a file holding only the secret') }),
      z.strictObject({ env: z.string().min(1).describe('name of an environment variable') }),
    ])
    .describe('a credential: { file: path } or { env: NAME }; inline values are not accepted')
    .transform((ref, ctx): Secret => {
      const resolved = resolveSecret(ref, baseDir);
      if (typeof resolved === 'string') {
        ctx.addIssue({ code: 'custom', message: resolved });
        return z.NEVER;
      }
      return resolved;
    });

  const account = z.strictObject({
    user: z.string().min(1).optional().describe("login name; default: the profile's default account"),
    password: secretRef,
  });

  /** One set of miner logins; the agent-wide set and each profile's override have this shape. */
  const accounts = {
    web: account.optional().describe('firmware web API (Antminer CGI digest, VNish unlock)'),
    ssh: z
      .strictObject({
        user: z.string().min(1).optional().describe("login name; default: the profile's default account"),
        password: secretRef.optional(),
        privateKey: secretRef.optional().describe('OpenSSH private key, tried before the password'),
      })
      .refine((a) => a.password || a.privateKey, 'needs password or privateKey')
      .optional()
      .describe('SSH login on the miners'),
    rpc: account.optional().describe('privileged RPC (Whatsminer token, LuxOS session)'),
  };

  const publicKeyRef = z.union([
    z.strictObject({ file: z.string().min(1).describe('PEM file of the controller public key') }),
    z.strictObject({ base64: z.string().min(1).describe('base64 DER SPKI of the controller public key') }),
  ]);

  const slotRef = { rack: z.string().min(1).max(64), slot: z.string().min(1).max(64) };

  const snmpV2c = z.strictObject({
    version: z.literal('2c'),
    community: secretRef.describe('read community'),
    writeCommunity: secretRef
      .optional()
      .describe('write community for outlet commands; default: none (no SETs)'),
  });
  const snmpV3 = z.strictObject({
    version: z.literal('3'),
    user: z.string().min(1),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).default('authPriv'),
    authProtocol: z.enum(['md5', 'sha', 'sha256', 'sha512']).default('sha'),
    authKey: secretRef.optional(),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).default('aes'),
    privKey: secretRef.optional(),
  });

  const pdu = z.strictObject({
    id: IdSchema.describe('PDU id, unique in this container'),
    vendor: PduVendorIdSchema.describe('MIB family the PDU speaks (firmware-profiles/src/pdus/)'),
    host: z.string().min(1).describe('IP or host name of the PDU'),
    port: z.number().int().min(1).max(65535).default(161),
    snmp: z.discriminatedUnion('version', [snmpV2c, snmpV3]),
    timeoutMs: z.number().int().positive().default(3000).describe('deadline of one SNMP request'),
    outlets: z
      .array(z.strictObject({ outlet: z.number().int().min(1).max(96), ...slotRef }))
      .default([])
      .describe('which miner slot each outlet feeds'),
  });

  return z.strictObject({
    agentId: IdSchema.describe('this agent; also the MQTT client id and username'),
    siteId: IdSchema.describe('site the container is at'),
    containerId: IdSchema.describe('container this agent runs in'),
    miners: z
      .strictObject({
        ranges: z
          .array(z.string().min(1))
          .default([])
          .describe('IPv4 ranges to scan: "10.0.4.0/24", "10.0.4.10-10.0.4.200" or one address'),
        ports: z
          .strictObject({
            rpc: z
              .number()
              .int()
              .min(1)
              .max(65535)
              .default(4028)
              .describe('cgminer-family API (profiles say 4028)'),
            wmV3: z
              .number()
              .int()
              .min(1)
              .max(65535)
              .default(4433)
              .describe('Whatsminer API v3 (profiles say 4433)'),
            http: z
              .number()
              .int()
              .min(1)
              .max(65535)
              .default(80)
              .describe('firmware web API (profiles say 80)'),
            ssh: z.number().int().min(1).max(65535).default(22).describe('SSH on the miners'),
          })
          .prefault({})
          .describe('where the standard miner ports really are (a lab or simulator may move them)'),
        slots: z
          .array(z.strictObject({ ip: z.string().min(1), ...slotRef }))
          .default([])
          .describe('rack and slot of the miner at an IP, when known'),
      })
      .prefault({}),
    credentials: z
      .strictObject({
        ...accounts,
        byProfile: z
          .record(z.string(), z.strictObject(accounts))
          .superRefine((byProfile, ctx) => {
            for (const key of Object.keys(byProfile)) {
              if (PROFILE_IDS.includes(key)) continue;
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: `unknown firmware profile ${JSON.stringify(key)}; known: ${PROFILE_IDS.join(', ')}`,
              });
            }
          })
          .default({})
          .describe("accounts for one firmware profile's miners, used instead of the agent-wide ones"),
        knownHostsFile: z
          .string()
          .optional()
          .describe("OpenSSH known_hosts file with the miners' host keys; SSH refuses unknown hosts"),
      })
      .prefault({}),
    pdus: z.array(pdu).default([]).describe('PDUs polled over SNMP'),
    polling: z
      .strictObject({
        intervalMs: z
          .number()
          .int()
          .min(100)
          .default(30_000)
          .describe('time between poll cycle starts (fixed rate: a slow cycle does not delay the next)'),
        jitterMs: z
          .number()
          .int()
          .min(0)
          .default(2_000)
          .describe(
            'each miner is polled at its own offset, drawn once in [0, jitterMs), after each cycle start',
          ),
        concurrency: z.number().int().min(1).max(4096).default(128).describe('miners polled at once'),
        requestTimeoutMs: z
          .number()
          .int()
          .min(50)
          .default(3_000)
          .describe('hard deadline of one request: connect + write + read to close'),
        backoffInitialMs: z
          .number()
          .int()
          .min(0)
          .default(30_000)
          .describe('first wait before re-probing a dead miner'),
        backoffMaxMs: z.number().int().min(0).default(600_000).describe('longest wait between re-probes'),
      })
      .prefault({}),
    discovery: z
      .strictObject({
        intervalMs: z.number().int().min(1_000).default(300_000).describe('time between scans of the ranges'),
        concurrency: z.number().int().min(1).max(4096).default(256).describe('addresses probed at once'),
        timeoutMs: z.number().int().min(50).default(1_500).describe('deadline of one probe request'),
      })
      .prefault({}),
    batch: z
      .strictObject({
        maxSamples: z.number().int().min(1).max(1000).default(250).describe('samples per telemetry message'),
        maxDelayMs: z.number().int().min(0).default(2_000).describe('longest a sample waits for its batch'),
      })
      .prefault({}),
    spool: z.strictObject({
      dir: z.string().min(1).describe('directory of the on-disk spool and the identity table'),
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .default(512 * 1024 * 1024)
        .describe('spool size bound'),
      maxMessages: z.number().int().min(1).default(100_000).describe('spool message count bound'),
      fsync: z
        .enum(['always', 'never'])
        .default('always')
        .describe('fsync each spooled batch (never: tests only)'),
    }),
    mqtt: z.strictObject({
      url: z.string().min(1).describe('broker URL: mqtt://host:1883 or mqtts://host:8883'),
      token: secretRef.optional().describe('MQTT password (username is the agentId)'),
      tls: z
        .strictObject({
          caFile: z.string().optional(),
          certFile: z.string().optional(),
          keyFile: z.string().optional(),
          verify: z.enum(['strict', 'insecure']).default('strict'),
        })
        .optional(),
      keepaliveS: z.number().int().min(5).default(30),
      reconnectMs: z.number().int().min(100).default(2_000).describe('wait between reconnect attempts'),
      maxInflight: z.number().int().min(1).max(1000).default(16).describe('unacknowledged publishes at once'),
      delivery: z
        .enum(['controllerAck', 'brokerAck'])
        .default('controllerAck')
        .describe(
          "when a spooled message is deleted: controllerAck (the controller's end-to-end ack on the agent's acks topic; survives a broker that PUBACKs then loses) or brokerAck (deprecated, warned at every start: deleted at PUBACK, so a broker that acknowledges and then loses, as Mosquitto restarting does, loses it for good)",
        ),
      ackTimeoutMs: z
        .number()
        .int()
        .min(1000)
        .default(60_000)
        .describe(
          'controllerAck: a message PUBACKed but not acked by the controller this long is republished',
        ),
    }),
    commands: z
      .strictObject({
        publicKey: publicKeyRef
          .optional()
          .describe(
            'controller key that signs commands; without it (or publicKeys) every command is refused',
          ),
        publicKeys: z
          .array(publicKeyRef)
          .default([])
          .describe("more controller keys, during a key rotation; a command's signature.keyId picks one"),
        timeoutMs: z.number().int().min(100).default(30_000).describe('deadline of one command'),
      })
      .prefault({}),
    safety: z
      .strictObject({
        mode: z
          .enum(['always', 'whenDisconnected', 'off'])
          .default('always')
          .describe(
            "when the controller's local safety rules act: always (a connected broker does not prove a live controller), only while the broker is unreachable, or never",
          ),
        file: z
          .string()
          .min(1)
          .optional()
          .describe('where the last verified rule set is kept; default: <spool.dir>/safety-rules.json'),
      })
      .prefault({})
      .describe('local safety: the signed rule set the controller pushes, applied by the agent on its own'),
    metrics: z
      .strictObject({
        mode: z.enum(['off', 'on']).default('off').describe('serve Prometheus /metrics'),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .prefault({}),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
  });
}

export type AgentConfig = z.output<ReturnType<typeof agentConfigSchema>>;
export type AgentConfigInput = z.input<ReturnType<typeof agentConfigSchema>>;
export type PduConfig = AgentConfig['pdus'][number];
