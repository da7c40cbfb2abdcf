import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * The controller's configuration: a YAML/JSON file, then environment overrides. Every option has
 * a default and a one-line description (docs/style.md §9); a bad file stops start-up listing every error.
 */
/** Which alerts an alert webhook or channel receives. */
const alertRouting = {
  siteId: z.string().min(1).nullable().default(null).describe('Only alerts of this site; null = every site'),
  minSeverity: z.enum(['critical', 'warning']).default('warning').describe('The least severe alert sent'),
};
const httpUrl = z.string().regex(/^https?:\/\/[^/]+/, 'must be an http(s) URL');
/** A notification channel's recipients' language: the web UI's catalogues (controller/ui/locales). */
const channelLanguage = {
  language: z
    .enum(['en', 'zh-CN', 'ru', 'kk'])
    .default('en')
    .describe('Language of the messages sent: en | zh-CN | ru | kk'),
};

/**
 * A known-good worker name at a site: the whole name, `*` any run of characters (`hashshare.kz*`).
 * Shared by `alerts.sites` and `POST /alerts/known-worker-patterns`.
 */
export const WorkerPatternSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'pattern must be printable ASCII without spaces')
  .refine((p) => /[^*]/.test(p), 'pattern must name something besides * (disable the rule instead)');

/** A pool a site's miners may mine on: host:port, the scheme ignored (the pool_not_allowed rule). */
export const AllowedPoolsSchema = z.array(z.string().min(1).max(300)).max(100);

export const ControllerConfigSchema = z.object({
  dataDir: z
    .string()
    .default('./data')
    .describe('Directory for the SQLite file, command key, broker secret, Influx spill'),
  http: z
    .object({
      host: z.string().default('127.0.0.1').describe('Address the HTTP API listens on'),
      port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port (0 picks a free one)'),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  storage: z
    .object({
      url: z
        .string()
        .nullable()
        .default(null)
        .describe('sqlite:<path> | sqlite::memory: | postgres://...[?schema=]; null = sqlite in dataDir'),
    })
    .default({ url: null }),
  mqtt: z
    .object({
      url: z
        .string()
        .nullable()
        .default(null)
        .describe('External broker (mqtt://host:port); null starts the embedded aedes broker'),
      embeddedHost: z.string().default('127.0.0.1').describe('Address the embedded broker listens on'),
      embeddedPort: z
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(1883)
        .describe('Embedded broker port (0 = free)'),
      username: z.string().default('controller').describe('User the controller connects as'),
      password: z
        .string()
        .nullable()
        .default(null)
        .describe('Controller broker password; null = generated into dataDir/broker-secret'),
      clientId: z.string().default('hashfleet-controller').describe('MQTT client id (unique per replica)'),
      sharedGroup: z
        .string()
        .nullable()
        .default('hashfleet-controller')
        .describe('Shared-subscription group on external brokers; null subscribes directly'),
      protocolVersion: z
        .union([z.literal(4), z.literal(5)])
        .default(5)
        .describe('MQTT version for external brokers'),
    })
    .default({
      url: null,
      embeddedHost: '127.0.0.1',
      embeddedPort: 1883,
      username: 'controller',
      password: null,
      clientId: 'hashfleet-controller',
      sharedGroup: 'hashfleet-controller',
      protocolVersion: 5,
    }),
  influx: z
    .object({
      url: z.string().describe('InfluxDB base URL (v2 write API), e.g. http://127.0.0.1:8086'),
      token: z.string().default('').describe('API token (InfluxDB 1.8: user:password)'),
      org: z.string().default('hashfleet').describe('Organisation (ignored by 1.8 and VictoriaMetrics)'),
      bucket: z.string().default('hashfleet').describe('Bucket / database'),
      batchSize: z.number().int().positive().default(5000).describe('Lines per write request'),
      flushIntervalMs: z
        .number()
        .int()
        .positive()
        .default(1000)
        .describe('Longest a line waits before sending'),
      maxRetries: z
        .number()
        .int()
        .nonnegative()
        .default(3)
        .describe('Client retries before a batch spills to disk'),
      maxBufferLines: z
        .number()
        .int()
        .positive()
        .default(100_000)
        .describe("Client's in-memory retry buffer"),
      spillMaxBytes: z
        .number()
        .int()
        .positive()
        .default(512 * 1024 * 1024)
        .describe('Disk spill bound; lines beyond it are dropped and counted'),
    })
    .nullable()
    .default(null),
  ingest: z
    .object({
      offlineAfterS: z
        .number()
        .positive()
        .default(180)
        .describe('A miner with no sample for this long is offline'),
      dedupeRetentionH: z
        .number()
        .positive()
        .default(72)
        .describe('How long (agent, boot, seq) keys are kept'),
      historyRetentionH: z.number().positive().default(24).describe('Per-miner 1-minute history kept in SQL'),
      maxIntervalS: z
        .number()
        .positive()
        .default(600)
        .describe('Longest sample interval counted for energy/uptime (longer gaps count nothing)'),
      clockSkewWarnMs: z
        .number()
        .positive()
        .default(30_000)
        .describe('Agent clock skew that raises an event'),
      unboundAgents: z
        .enum(['refuse', 'accept'])
        .default('refuse')
        .describe(
          'An agent bound to no container: refuse its messages (counted, audited, kept in its spool until bound) or accept them (a migration period; warned at start)',
        ),
    })
    .default({
      offlineAfterS: 180,
      dedupeRetentionH: 72,
      historyRetentionH: 24,
      maxIntervalS: 600,
      clockSkewWarnMs: 30_000,
      unboundAgents: 'refuse',
    }),
  commands: z
    .object({
      ttlS: z.number().int().positive().default(300).describe('Command validity after issue'),
      approvalTtlS: z
        .number()
        .int()
        .positive()
        .default(86_400)
        .describe('How long a pool.set waits for approval'),
    })
    .default({ ttlS: 300, approvalTtlS: 86_400 }),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  alerts: z
    .object({
      evaluateEveryS: z
        .number()
        .int()
        .min(1)
        .max(3_600)
        .default(10)
        // A miner that stops answering is alerted within a minute at 10 (issue 19): the offline rule
        // opens on its second evaluation in breach, so the worst delay is the agent's poll interval,
        // its offset and request deadline, then two of these (controller/test/alerts-offline-bound.test.ts).
        .describe(
          'Seconds between evaluations of the alert rules; 10 alerts a miner that stops answering within a minute (controller/README.md, Alerts)',
        ),
      publicUrl: z
        .string()
        .regex(/^https?:\/\/[^/]+/, 'must be an http(s) URL')
        .nullable()
        .default(null)
        .describe('Base of the links in alert notifications; null = http://<http.host>:<http.port>'),
      webhooks: z
        .array(
          z.discriminatedUnion('type', [
            z.object({
              type: z
                .literal('webhook')
                .default('webhook')
                .describe('webhook (the default) | telegram | email | wecom | dingtalk | feishu'),
              url: z.string().regex(/^https?:\/\/[^/]+/, 'must be an http(s) URL'),
              ...alertRouting,
              secret: z
                .string()
                .nullable()
                .default(null)
                .describe('HMAC-SHA256 signing secret; null = unsigned'),
              secretFile: z
                .string()
                .min(1)
                .nullable()
                .default(null)
                .describe('File holding the signing secret'),
            }),
            z.object({
              type: z.literal('telegram'),
              ...alertRouting,
              ...channelLanguage,
              apiUrl: httpUrl.default('https://api.telegram.org').describe('Bot API base URL'),
              botToken: z.string().min(1).nullable().default(null).describe('Bot token from @BotFather'),
              botTokenFile: z.string().min(1).nullable().default(null).describe('File holding the bot token'),
              chatId: z
                .union([z.string().min(1), z.number().int()])
                .transform(String)
                .describe('Chat, group or @channel the bot posts to'),
            }),
            z.object({
              type: z.literal('email'),
              ...alertRouting,
              ...channelLanguage,
              host: z.string().min(1).describe('SMTP server'),
              port: z.number().int().min(1).max(65_535).default(587).describe('SMTP port'),
              secure: z
                .boolean()
                .default(false)
                .describe('TLS from the start (465); false = STARTTLS when offered'),
              user: z
                .string()
                .min(1)
                .nullable()
                .default(null)
                .describe('SMTP user; null = no authentication'),
              password: z.string().nullable().default(null).describe('SMTP password'),
              passwordFile: z
                .string()
                .min(1)
                .nullable()
                .default(null)
                .describe('File holding the SMTP password'),
              from: z.string().min(3).describe('Sender address'),
              to: z.array(z.string().min(3)).min(1).describe('Recipient addresses'),
            }),
            z.object({
              type: z.literal('wecom'),
              ...alertRouting,
              ...channelLanguage,
              url: httpUrl.describe('Robot webhook URL with its key'),
            }),
            ...(['dingtalk', 'feishu'] as const).map((type) =>
              z.object({
                type: z.literal(type),
                ...alertRouting,
                ...channelLanguage,
                url: httpUrl.describe('Robot webhook URL'),
                secret: z
                  .string()
                  .min(1)
                  .nullable()
                  .default(null)
                  .describe('Signing secret; null = unsigned'),
                secretFile: z
                  .string()
                  .min(1)
                  .nullable()
                  .default(null)
                  .describe('File holding the signing secret'),
              }),
            ),
          ]),
        )
        .default([])
        .describe(
          'Alert webhook endpoints and channels (kept in alert_webhooks with those added through the API)',
        ),
      sites: z
        .record(
          z.string().min(1).max(200),
          z.object({
            allowedPools: AllowedPoolsSchema.nullable()
              .default(null)
              .describe(
                "Pools (host:port, scheme ignored) the site's miners may mine on, as its pool_not_allowed rule; null = the API's",
              ),
            workerPatterns: z
              .array(WorkerPatternSchema)
              .max(100)
              .default([])
              .describe(
                'Worker names known good at the site (`*` any run of characters); the API may add more',
              ),
          }),
        )
        .default({})
        .describe('Per site id: pool allowlist and known-good worker patterns, applied at every start'),
    })
    .default({ evaluateEveryS: 10, publicUrl: null, webhooks: [], sites: {} }),
});

export type ControllerConfig = z.infer<typeof ControllerConfigSchema>;
export type ControllerConfigInput = z.input<typeof ControllerConfigSchema>;

/** Environment overrides: variable -> config path and parser. */
const ENV: [name: string, path: string[], parse: (v: string) => unknown][] = [
  ['HASHFLEET_DATA_DIR', ['dataDir'], String],
  ['HASHFLEET_HTTP_HOST', ['http', 'host'], String],
  ['HASHFLEET_HTTP_PORT', ['http', 'port'], Number],
  ['HASHFLEET_DB_URL', ['storage', 'url'], String],
  ['HASHFLEET_MQTT_URL', ['mqtt', 'url'], String],
  ['HASHFLEET_MQTT_PORT', ['mqtt', 'embeddedPort'], Number],
  ['HASHFLEET_MQTT_PASSWORD', ['mqtt', 'password'], String],
  ['HASHFLEET_MQTT_CLIENT_ID', ['mqtt', 'clientId'], String],
  ['HASHFLEET_INFLUX_URL', ['influx', 'url'], String],
  ['HASHFLEET_INFLUX_TOKEN', ['influx', 'token'], String],
  ['HASHFLEET_INFLUX_BUCKET', ['influx', 'bucket'], String],
  ['HASHFLEET_LOG_LEVEL', ['log', 'level'], String],
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    cur[key] = next && typeof next === 'object' ? { ...(next as object) } : {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
}

/**
 * Loads config from a file path (YAML or JSON) or an object, applies HASHFLEET_* environment
 * overrides, validates. Throws one error listing every problem, naming the source.
 */
export function loadControllerConfig(
  fileOrObject: string | ControllerConfigInput | undefined,
  env: Record<string, string | undefined> = process.env,
): ControllerConfig {
  let raw: Record<string, unknown> = {};
  let source = 'config';
  if (typeof fileOrObject === 'string') {
    source = fileOrObject;
    let text: string;
    try {
      text = readFileSync(fileOrObject, 'utf8');
    } catch (err) {
      throw new Error(`config ${fileOrObject}: cannot read: ${(err as Error).message}`);
    }
    try {
      raw = (YAML.parse(text) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`config ${fileOrObject}: not YAML/JSON: ${(err as Error).message}`);
    }
  } else if (fileOrObject) {
    raw = structuredClone(fileOrObject) as Record<string, unknown>;
  }
  for (const [name, path, parse] of ENV) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, path, parse(v));
  }
  const parsed = ControllerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`config ${source}: ${lines.length} error(s): ${lines.join('; ')}`);
  }
  const config = parsed.data;
  config.dataDir = resolve(config.dataDir);
  if (!config.storage.url) config.storage.url = `sqlite:${join(config.dataDir, 'controller.db')}`;
  return config;
}
