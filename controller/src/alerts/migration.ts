import type { Migration } from '../core/storage/migrate.js';

/**
 * Alerts: rules as data, the alerts themselves (the table remediation reads), the counters that
 * carry a rule's for-duration and clear-after across ticks, known-good workers (hijack guard),
 * silences, webhook endpoints and the durable notification outbox.
 */
export const migration: Migration = {
  id: '0300_alerts',
  up: `
CREATE TABLE alert_rules (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  enabled BIGINT NOT NULL,
  threshold DOUBLE PRECISION,
  clear_threshold DOUBLE PRECISION,
  for_polls BIGINT NOT NULL,
  for_ms BIGINT NOT NULL,
  clear_polls BIGINT NOT NULL,
  params_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  UNIQUE (kind, scope, scope_id)
);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  miner_id TEXT,
  container_id TEXT,
  site_id TEXT,
  agent_id TEXT,
  severity TEXT NOT NULL,
  state TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  resolved_at BIGINT,
  value DOUBLE PRECISION,
  threshold DOUBLE PRECISION,
  message TEXT NOT NULL,
  details_json TEXT NOT NULL,
  acked_at BIGINT,
  acked_by TEXT
);
CREATE INDEX alerts_state ON alerts(state, site_id, container_id);
CREATE INDEX alerts_subject ON alerts(rule_id, subject, opened_at);
CREATE INDEX alerts_miner ON alerts(miner_id, opened_at);
CREATE TABLE alert_tracking (
  rule_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  breaches BIGINT NOT NULL,
  breach_since BIGINT,
  clears BIGINT NOT NULL,
  PRIMARY KEY (rule_id, subject)
);
CREATE TABLE alert_known_workers (
  miner_id TEXT PRIMARY KEY,
  pool_url TEXT NOT NULL,
  worker TEXT NOT NULL,
  source TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE TABLE alert_silences (
  id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  kind TEXT,
  until_at BIGINT NOT NULL,
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX alert_silences_subject ON alert_silences(subject, until_at);
CREATE TABLE alert_webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  site_id TEXT,
  min_severity TEXT NOT NULL,
  enabled BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE alert_outbox (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  event TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX alert_outbox_due ON alert_outbox(state, next_attempt_at);
-- At most one open alert per (rule, subject): the database enforces it, not just the code.
CREATE UNIQUE INDEX alerts_one_open ON alerts(rule_id, subject) WHERE state = 'open'
`,
};

/**
 * Signed webhooks (a per-endpoint secret; null = unsigned), worker names a site marks known good
 * (patterns), and an index for the rare safety-action events the evaluation reads every tick.
 */
export const migrationSecretsAndWorkers: Migration = {
  id: '0301_alerts_secrets_workers',
  up: `
ALTER TABLE alert_webhooks ADD COLUMN secret TEXT;
CREATE TABLE alert_worker_patterns (
  site_id TEXT NOT NULL,
  pattern TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (site_id, pattern)
);
CREATE INDEX events_kind_at ON events(kind, at)
`,
};

/**
 * A change cursor on `miner_latest`, so the alert tick reads only the samples written since its
 * last read (`latest-cache.ts`). Every write to the table, whoever makes it (ingest's upsert and
 * its unreachable update, inventory's placeholders), stamps the row's `change_seq` in a trigger,
 * so no writer has to know about it:
 * - SQLite: one more than the table's highest stamp. Writers are serialised, so stamps grow in
 *   commit order and "everything above the last highest" misses nothing.
 * - PostgreSQL: the writing transaction's id. Ids are handed out when a transaction starts
 *   writing, not when it commits, so a later id can commit first (two replicas ingesting). The
 *   reader therefore resumes from the oldest transaction still running when it last looked
 *   (`pg_snapshot_xmin`): whatever committed since was running then or began later, so its id is
 *   at least that; rows read twice are recognised by their unchanged stamp.
 */
export const migrationChangeCursor: Migration = {
  id: '0302_alerts_change_cursor',
  up: `
ALTER TABLE miner_latest ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX miner_latest_change ON miner_latest(change_seq, miner_id)
`,
  sqlite: ['INSERT', 'UPDATE'].map(
    (op) => `CREATE TRIGGER miner_latest_change_${op.toLowerCase()} AFTER ${op} ON miner_latest
    ${op === 'UPDATE' ? 'WHEN NEW.change_seq = OLD.change_seq' : ''}
    BEGIN
      UPDATE miner_latest SET change_seq = (SELECT MAX(change_seq) FROM miner_latest) + 1
      WHERE rowid = NEW.rowid;
    END`,
  ),
  postgres: [
    `CREATE FUNCTION miner_latest_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.change_seq := pg_current_xact_id()::text::bigint;
      RETURN NEW;
    END $$`,
    `CREATE TRIGGER miner_latest_change BEFORE INSERT OR UPDATE ON miner_latest
     FOR EACH ROW EXECUTE FUNCTION miner_latest_change()`,
  ],
};

/** The tables besides miner_latest whose rows the tick keeps in memory: their key and the columns it reads. */
export const STAMPED_TABLES: Record<string, { key: string[]; columns: string[] }> = {
  miners: { key: ['id'], columns: ['model', 'status', 'site_id', 'container_id', 'slot_id'] },
  slots: { key: ['id'], columns: ['rack', 'slot'] },
  pdu_outlets: { key: ['pdu_id', 'outlet'], columns: ['slot_id'] },
  alert_known_workers: { key: ['miner_id'], columns: ['pool_url', 'worker', 'source', 'at'] },
};

/**
 * The same change stamp (see migrationChangeCursor) on the placement, outlet and known-worker tables,
 * which the tick also keeps in memory instead of reading 100,000 rows of each every tick. None of them
 * loses rows (nothing deletes from them). A write that changes none of the columns the tick reads
 * (ingest re-upserts each PDU's outlets with every PDU sample) keeps its stamp.
 */
export const migrationChangeStamps: Migration = {
  id: '0303_alerts_change_stamps',
  up: Object.entries(STAMPED_TABLES)
    .map(
      ([t, { key }]) => `ALTER TABLE ${t} ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX ${t}_change ON ${t}(change_seq, ${key.join(', ')})`,
    )
    .join(';\n'),
  sqlite: Object.entries(STAMPED_TABLES).flatMap(([t, { columns: cols }]) =>
    ['INSERT', 'UPDATE'].map(
      (op) => `CREATE TRIGGER ${t}_change_${op.toLowerCase()} AFTER ${op} ON ${t}
      ${op === 'UPDATE' ? `WHEN NEW.change_seq = OLD.change_seq AND (${cols.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ')})` : ''}
      BEGIN
        UPDATE ${t} SET change_seq = (SELECT MAX(change_seq) FROM ${t}) + 1 WHERE rowid = NEW.rowid;
      END`,
    ),
  ),
  postgres: [
    `CREATE FUNCTION alert_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
      END IF;
      NEW.change_seq := pg_current_xact_id()::text::bigint;
      RETURN NEW;
    END $$`,
    ...Object.keys(STAMPED_TABLES).map(
      (t) => `CREATE TRIGGER ${t}_change BEFORE INSERT OR UPDATE ON ${t}
       FOR EACH ROW EXECUTE FUNCTION alert_change_stamp()`,
    ),
  ],
};
