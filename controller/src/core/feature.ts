import type { CommandAction } from '@hashfleet/contracts';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { Audit } from './audit.js';
import type { Principal } from './auth/roles.js';
import type { ControllerConfig } from './config.js';
import type { InfluxSink } from './influx/sink.js';
import type { Job } from './jobs.js';
import type { Db } from './storage/db.js';
import type { Migration } from './storage/migrate.js';

export type { Job } from './jobs.js';
export type { Migration } from './storage/migrate.js';

/** What a command request returns: the stored command and where it stands. */
export type IssuedCommand = {
  id: string;
  state: 'pending_approval' | 'sent' | 'failed';
  seq: number | null;
  agentId: string;
};

/** Issues a signed command to an agent, with the same role rules and audit as the HTTP route. */
export type IssueCommand = (req: {
  actor: Principal;
  agentId: string;
  action: CommandAction;
  /** Shown to the agent as the command's issuer; defaults to the actor's name. */
  issuer?: string;
  minerId?: string | null;
}) => Promise<IssuedCommand>;

/** What every feature gets from the core. */
export type FeatureContext = {
  db: Db;
  config: ControllerConfig;
  audit: Audit;
  influx: InfluxSink | null;
  logger: FastifyBaseLogger;
  now(): number;
  issueCommand?: IssueCommand;
  /** The app's Prometheus registry (served on /metrics): a feature registers its own figures in it. */
  metrics?: { registry: Registry };
  /** Publishes QoS 1 through the controller's broker link; set by `startController` once connected. */
  publish?: (topic: string, payload: string, opts?: { retain?: boolean }) => Promise<void>;
};

/**
 * A feature: its migrations (numbered in its own range), its routes (registered under `prefix`,
 * default `/api/v1`, with auth active: use `app.authorize(...)`; `config: { public: true }` opts a
 * route out), its CLI subcommands (`hashfleet-controller <name> ...`) and its background jobs.
 */
export type Feature = {
  name: string;
  migrations: Migration[];
  routes?: FastifyPluginAsync<FeatureContext>;
  prefix?: string;
  cli?: Record<string, (args: string[], ctx: FeatureContext) => Promise<number>>;
  /**
   * CLI subcommands (`<name> <verb> ...`) that need no database, key or config: run before the app
   * is built, so they work from any folder and write nothing (e.g. `period verify`).
   */
  standaloneCli?: Record<string, Record<string, (args: string[]) => Promise<number>>>;
  /** Background jobs, started by `startController` (`core/jobs.ts`); tests call `run(now)` directly. */
  jobs?: (ctx: FeatureContext) => Job[];
};
