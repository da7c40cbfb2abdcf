import type { FastifyBaseLogger } from 'fastify';
import type { ControllerConfig } from '../config.js';
import type { InfluxPoint } from '../influx/sink.js';
import type { Reconciler } from '../inventory/reconcile.js';
import type { Db } from '../storage/db.js';

export type IngestDeps = {
  db: Db;
  config: ControllerConfig;
  reconciler: Reconciler;
  log: FastifyBaseLogger;
  now(): number;
};

/** What applying one message produced besides SQL: points for the time-series sink. */
export type Applied = { points: InfluxPoint[]; samples: number; afterCommit?: () => void };
