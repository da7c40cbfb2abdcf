import type { FastifyBaseLogger } from 'fastify';
import type { ControllerConfig } from '../../core/config.js';
import type { InfluxPoint } from '../../core/influx/sink.js';
import type { Db } from '../../core/storage/db.js';
import type { Reconciler } from '../inventory/reconcile.js';
import type { Deferred } from './deferred.js';

export type IngestDeps = {
  db: Db;
  config: ControllerConfig;
  reconciler: Reconciler;
  log: FastifyBaseLogger;
  now(): number;
  /** Ingest's estimate of an agent's clock skew in ms (skew.ts), null before its first live message. */
  skewOf?(agentId: string): number | null;
  /** The batch's held bulk rows (deferred.ts); without it, telemetry writes them itself. */
  deferred?: Deferred;
  /** False when no time-series sink takes the points: telemetry does not build them. */
  points?: boolean;
};

/** What applying one message produced besides SQL: points for the time-series sink. */
export type Applied = {
  points: InfluxPoint[];
  samples: number;
  afterCommit?: () => void;
  /** Fields judged implausible in this message (one entry per sample and field), counted after commit. */
  implausible?: string[];
};
