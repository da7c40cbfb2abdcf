import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from '../core/storage/db.js';
import { type ChannelSpec, channelOf, sendOnChannel } from './channels/index.js';
import type { ChannelLanguage } from './channels/wording.js';
import { messageOf } from './message-key.js';
import { type AlertSettings, backoffMs } from './settings.js';
import { SIGNATURE_HEADER, webhookSignature } from './signature.js';

/** An alert as stored (the `alerts` row, camelCased) and as notifications describe it. */
export type AlertRecord = {
  id: string;
  ruleId: string;
  kind: string;
  subject: string;
  minerId: string | null;
  containerId: string | null;
  siteId: string | null;
  agentId: string | null;
  severity: string;
  state: 'open' | 'resolved';
  openedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  value: number | null;
  threshold: number | null;
  message: string;
  details: Record<string, unknown>;
};

export type NotifyEvent = 'opened' | 'resolved' | 'flapping';

/**
 * Whether an open or resolve is told to the webhooks. A (rule, subject) that opened more than
 * `budget` times in the flap window is flapping: the opening that crosses the budget is sent
 * once as `flapping`, later ones are held, and a held opening's resolve is held too. Silenced
 * subjects are held.
 */
export function notificationFor(
  transition: 'open' | 'resolve',
  opensInWindow: number,
  budget: number,
  silenced: boolean,
  openWasNotified: boolean,
): NotifyEvent | null {
  if (silenced) return null;
  if (transition === 'resolve') return openWasNotified ? 'resolved' : null;
  if (opensInWindow <= budget) return 'opened';
  return opensInWindow === budget + 1 ? 'flapping' : null;
}

export type Webhook = { id: string; url: string; siteId: string | null; minSeverity: string };

/** The JSON body a webhook receives; `id` is also sent as the Idempotency-Key header. */
export function webhookPayload(
  id: string,
  event: NotifyEvent,
  a: AlertRecord,
  where: { rack: string | null; slot: string | null },
  linkBase: string,
  opensInWindow: number,
) {
  const link = a.minerId
    ? a.containerId
      ? `${linkBase}/#/containers/${encodeURIComponent(a.containerId)}/miners/${encodeURIComponent(a.minerId)}`
      : `${linkBase}/#/miners/${encodeURIComponent(a.minerId)}`
    : `${linkBase}/#/alerts`;
  return {
    id,
    event,
    alert: { id: a.id, kind: a.kind, severity: a.severity, state: a.state, ruleId: a.ruleId },
    subject: a.subject,
    minerId: a.minerId,
    agentId: a.agentId,
    site: a.siteId,
    container: a.containerId,
    rack: where.rack,
    slot: where.slot,
    value: a.value,
    threshold: a.threshold,
    ...messageOf(a),
    message:
      event === 'flapping'
        ? `${a.message} (opened ${opensInWindow} times recently; further notifications for it are held)`
        : a.message,
    openedAt: a.openedAt,
    resolvedAt: a.resolvedAt,
    link,
  };
}

const SEVERITY_RANK: Record<string, number> = { warning: 1, critical: 2 };

export async function loadWebhooks(db: Db): Promise<Webhook[]> {
  const rows = await db.all<{ id: string; url: string; site_id: string | null; min_severity: string }>(
    'SELECT id, url, site_id, min_severity FROM alert_webhooks WHERE enabled = 1',
  );
  return rows.map((r) => ({ id: r.id, url: r.url, siteId: r.site_id, minSeverity: r.min_severity }));
}

export const webhookWants = (w: Webhook, a: AlertRecord): boolean =>
  (w.siteId === null || w.siteId === a.siteId) &&
  (SEVERITY_RANK[a.severity] ?? 0) >= (SEVERITY_RANK[w.minSeverity] ?? 0);

/**
 * Puts one notification per interested webhook into the outbox, inside the caller's transaction
 * (the transition and its notification commit together). The row id `<alert>:<event>:<webhook>`
 * is the idempotency key: enqueuing twice is a no-op, receivers can drop repeats.
 */
export async function enqueue(
  db: Db,
  webhooks: Webhook[],
  event: NotifyEvent,
  alert: AlertRecord,
  payload: (id: string) => unknown,
  now: number,
): Promise<number> {
  let n = 0;
  for (const w of webhooks) {
    if (!webhookWants(w, alert)) continue;
    const id = `${alert.id}:${event}:${w.id}`;
    const r = await db.run(
      `INSERT INTO alert_outbox (id, webhook_id, alert_id, event, payload_json, state, attempts, next_attempt_at,
         last_error, created_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, NULL, ?, NULL) ON CONFLICT (id) DO NOTHING`,
      [id, w.id, alert.id, event, JSON.stringify(payload(id)), now, now],
    );
    n += r.changes;
  }
  return n;
}

export type DeliveryReport = { delivered: number; failed: number; dead: number };

/**
 * Sends due outbox rows. A 2xx marks the row delivered; anything else (status, refused
 * connection, timeout) schedules a retry with back-off, and after `maxAttempts` the row is dead
 * (kept, counted, logged by the caller). Each row is claimed before it is sent, so concurrent
 * deliverers do not both send it. A crash between the POST and the update re-sends the same row
 * with the same Idempotency-Key once its claim runs out: at least once, never lost.
 */
export async function deliverDue(
  db: Db,
  now: number,
  settings: AlertSettings,
  post: typeof httpPost = httpPost,
): Promise<DeliveryReport> {
  const due = await db.all<{
    id: string;
    url: string | null;
    secret: string | null;
    payload_json: string;
    attempts: number;
  }>(
    `SELECT o.id, w.url, w.secret, o.payload_json, o.attempts FROM alert_outbox o LEFT JOIN alert_webhooks w ON w.id = o.webhook_id
     WHERE o.state = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.created_at LIMIT ?`,
    [now, settings.batch],
  );
  const report: DeliveryReport = { delivered: 0, failed: 0, dead: 0 };
  for (const row of due) {
    // Claimed before sending: two deliverers reading the same pending row (the notify job and
    // another caller, or two replicas) race on this update, and only the one that moved the row
    // sends it. The claim lasts past the send's timeout; a crash after it re-sends at its end.
    const claim = await db.run(
      `UPDATE alert_outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending' AND next_attempt_at <= ?`,
      [now + settings.timeoutMs + 1000, row.id, now],
    );
    if (claim.changes === 0) continue;
    let error: string | null = null;
    if (!row.url) error = 'webhook removed';
    else if (channelOf(row.url)) {
      // A channel (channels/index.ts): its settings are the row's stored secret.
      try {
        await sendOnChannel(JSON.parse(row.secret ?? 'null') as ChannelSpec, JSON.parse(row.payload_json), {
          timeoutMs: settings.timeoutMs,
          now,
          key: row.id,
        });
      } catch (err) {
        error = (err as Error).message;
      }
    } else {
      try {
        // Signed at each attempt: a retry carries a fresh timestamp, so a receiver's replay window holds.
        const headers: Record<string, string> = row.secret
          ? { [SIGNATURE_HEADER]: webhookSignature(row.secret, row.payload_json, now) }
          : {};
        const status = await post(row.url, row.payload_json, row.id, settings.timeoutMs, headers);
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (error === null) {
      await db.run(
        `UPDATE alert_outbox SET state = 'delivered', attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?`,
        [row.attempts + 1, now, row.id],
      );
      report.delivered++;
      continue;
    }
    const attempts = row.attempts + 1;
    const dead = attempts >= settings.maxAttempts || !row.url;
    await db.run(
      `UPDATE alert_outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
      [dead ? 'dead' : 'pending', attempts, now + backoffMs(attempts, settings), error.slice(0, 500), row.id],
    );
    if (dead) report.dead++;
    else report.failed++;
  }
  return report;
}

/** POSTs JSON; resolves with the HTTP status, rejects on network error or timeout. */
export async function httpPost(
  url: string,
  body: string,
  key: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

type Routing = { siteId: string | null; minSeverity: string; language?: ChannelLanguage };

/** An `alerts.webhooks` entry: a signed webhook (no `type`) or a channel (config.ts). */
export type ConfigWebhook =
  | (Routing & { type?: 'webhook'; url: string; secret?: string | null; secretFile?: string | null })
  | (Routing & {
      type: 'telegram';
      apiUrl: string;
      botToken: string | null;
      botTokenFile: string | null;
      chatId: string;
    })
  | (Routing & {
      type: 'email';
      host: string;
      port: number;
      secure: boolean;
      user: string | null;
      password: string | null;
      passwordFile: string | null;
      from: string;
      to: string[];
    })
  | (Routing & { type: 'wecom'; url: string })
  | (Routing & {
      type: 'dingtalk' | 'feishu';
      url: string;
      secret: string | null;
      secretFile: string | null;
    });

/** Shortest secret accepted: 32 bytes of hex or base64 is what `openssl rand` gives. */
export const MIN_SECRET_LENGTH = 32;

/** A secret given inline or in a file (the file wins), null when neither is set. */
function readSecret(
  where: string,
  field: string,
  inline: string | null | undefined,
  file: string | null | undefined,
) {
  if (!file) return inline ?? null;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(
      `${where}: ${field}File ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * What a configured entry becomes in `alert_webhooks`: its url (a channel's is `<type>:<target>`,
 * without its token) and secret (a webhook's signing secret; a channel's settings as JSON).
 */
function configRow(h: ConfigWebhook, i: number): { url: string; secret: string | null } {
  const where = `alerts.webhooks.${i} (${h.type ?? 'webhook'})`;
  const row = (url: string, spec: ChannelSpec) => ({
    url,
    secret: JSON.stringify({ ...spec, language: h.language ?? 'en' }),
  });
  switch (h.type) {
    case undefined:
    case 'webhook': {
      const secret = readSecret(`alerts.webhooks.${i} (${h.url})`, 'secret', h.secret, h.secretFile);
      if (secret !== null && secret.length < MIN_SECRET_LENGTH)
        throw new Error(
          `alerts.webhooks.${i} (${h.url}): secret must be at least ${MIN_SECRET_LENGTH} characters`,
        );
      return { url: h.url, secret };
    }
    case 'telegram': {
      const botToken = readSecret(where, 'botToken', h.botToken, h.botTokenFile);
      if (!botToken) throw new Error(`${where}: botToken or botTokenFile is required`);
      return row(`telegram:${h.chatId}`, { type: 'telegram', apiUrl: h.apiUrl, botToken, chatId: h.chatId });
    }
    case 'email': {
      const { host, port, secure, user, from, to } = h;
      const password = readSecret(where, 'password', h.password, h.passwordFile);
      return row(`email:${to.join(',')}`, { type: 'email', host, port, secure, user, password, from, to });
    }
    case 'wecom':
      return row(`wecom:${new URL(h.url).host}`, { type: 'wecom', url: h.url });
    case 'dingtalk':
    case 'feishu': {
      const secret = readSecret(where, 'secret', h.secret, h.secretFile);
      return row(`${h.type}:${new URL(h.url).host}`, { type: h.type, url: h.url, secret });
    }
  }
}

/** The stable id of a configured entry: its settings without its secrets (rotating one keeps the row). */
function configId(h: ConfigWebhook, url: string): string {
  const target =
    h.type === undefined || h.type === 'webhook'
      ? [h.url]
      : h.type === 'email'
        ? [h.type, h.host, h.port, h.from, h.to]
        : h.type === 'telegram'
          ? [h.type, h.apiUrl, h.chatId]
          : [h.type, h.url];
  // A plain webhook keeps the id it had before channels existed.
  const key =
    h.type === undefined || h.type === 'webhook'
      ? [url, h.siteId, h.minSeverity]
      : [...target, h.siteId, h.minSeverity];
  return `config:${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16)}`;
}

/**
 * Makes `alert_webhooks` hold the configured endpoints (`alerts.webhooks`): each as a row with a
 * stable id derived from its settings, enabled; configured rows no longer in the config are
 * disabled (kept, so their outbox rows still name them). Endpoints added through the API are
 * left alone.
 */
export async function syncConfigWebhooks(db: Db, hooks: ConfigWebhook[], now: number): Promise<void> {
  const ids: string[] = [];
  // Every secret is read before anything is written: a bad file stops start-up naming it.
  const rows = hooks.map(configRow);
  for (const [i, h] of hooks.entries()) {
    const { url, secret } = rows[i] as { url: string; secret: string | null };
    const id = configId(h, url);
    ids.push(id);
    await db.run(
      `INSERT INTO alert_webhooks (id, url, site_id, min_severity, enabled, created_at, created_by, secret)
       VALUES (?, ?, ?, ?, 1, ?, 'config', ?)
       ON CONFLICT (id) DO UPDATE SET enabled = 1, url = excluded.url, secret = excluded.secret`,
      [id, url, h.siteId, h.minSeverity, now, secret],
    );
  }
  const enabled = await db.all<{ id: string }>(
    `SELECT id FROM alert_webhooks WHERE created_by = 'config' AND enabled = 1`,
  );
  for (const r of enabled)
    if (!ids.includes(r.id)) await db.run('UPDATE alert_webhooks SET enabled = 0 WHERE id = ?', [r.id]);
}
