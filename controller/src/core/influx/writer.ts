import { join } from 'node:path';
import { InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { FastifyBaseLogger } from 'fastify';
import type { ControllerConfig } from '../config.js';
import { toLine } from './line.js';
import type { InfluxPoint, InfluxSink, InfluxStats } from './sink.js';
import { Spill } from './spill.js';

type InfluxConfig = NonNullable<ControllerConfig['influx']>;

const REPLAY_CHUNK = 5000;
/** The error the client passes to writeFailed when a batch's retry time ran out before its retries. */
const RETRY_TIME_EXCEEDED = 'Max retry time exceeded.';

/**
 * The InfluxDB writer: the client batches and retries; a batch it gives up on (or pushes out of
 * its retry buffer) goes to a durable spill on disk, replayed in order once writes succeed again.
 * Only the spill's size bound can drop lines, and those are counted and logged.
 *
 * Long because it is a factory: the client, its retry buffer, the spill and the counters are shared by
 * its methods through the closure; each method is short.
 */
export function createInfluxWriter(
  cfg: InfluxConfig,
  dataDir: string,
  log: FastifyBaseLogger,
  /** How long the client may keep retrying a batch in memory (its default); tests shorten it. */
  maxRetryTimeMs = 180_000,
): InfluxSink {
  const stats: InfluxStats = {
    linesQueued: 0,
    linesWritten: 0,
    linesSpilled: 0,
    linesReplayed: 0,
    linesDropped: 0,
    spillBytes: 0,
    writeErrors: 0,
  };
  // The client logs every failed attempt to the console; ours logs a state change once (docs/style.md §10).
  setLogger({
    error: (message, err) =>
      log.debug({ err: (err as Error | undefined)?.message }, `influx client: ${message}`),
    warn: (message, err) =>
      log.debug({ err: (err as Error | undefined)?.message }, `influx client: ${message}`),
  });
  const spill = new Spill(join(dataDir, 'influx-spill'));
  stats.spillBytes = spill.bytes();
  const client = new InfluxDB({ url: cfg.url, token: cfg.token, timeout: 10_000 });
  let down = false;

  const toSpill = (lines: string[], why: string) => {
    if (stats.spillBytes > cfg.spillMaxBytes) {
      stats.linesDropped += lines.length;
      log.error(
        { lines: lines.length, spillBytes: stats.spillBytes },
        `influx ${cfg.url}: spill full, ${lines.length} lines dropped`,
      );
      return;
    }
    spill.append(lines);
    stats.linesSpilled += lines.length;
    stats.spillBytes = spill.bytes();
    if (!down) log.warn({ why }, `influx ${cfg.url}: writes failing (${why}); spilling to disk`);
    down = true;
  };

  const live: WriteApi = client.getWriteApi(cfg.org, cfg.bucket, 'ms', {
    batchSize: cfg.batchSize,
    flushInterval: cfg.flushIntervalMs,
    maxRetries: cfg.maxRetries,
    maxBufferLines: cfg.maxBufferLines,
    maxRetryDelay: 5000,
    minRetryDelay: 500,
    maxRetryTime: maxRetryTimeMs,
    writeFailed(error, lines, attempt) {
      stats.writeErrors += 1;
      const status = (error as { statusCode?: number }).statusCode;
      // 4xx other than 429 will never succeed (a bad line): retrying or spilling cannot help.
      if (status && status >= 400 && status < 500 && status !== 429) {
        stats.linesDropped += lines.length;
        log.error(
          { err: error.message },
          `influx ${cfg.url}: ${lines.length} lines rejected: ${error.message}`,
        );
        return Promise.resolve();
      }
      // The client gives a batch up when its retries are spent, or earlier when its retry time ran
      // out (a long outage on a loaded machine: retries wait their turn); it drops the batch unless
      // this returns a promise. Both go to the spill: the bench influx-outage lost 40,000 lines of a
      // 10-minute outage to the second before it was handled.
      if (attempt > cfg.maxRetries || error.message === RETRY_TIME_EXCEEDED) {
        toSpill(lines, error.message);
        return Promise.resolve();
      }
      return undefined;
    },
    writeRetrySkipped(entry) {
      toSpill(entry.lines, 'retry buffer full');
    },
    writeSuccess(lines) {
      stats.linesWritten += lines.length;
      if (down) log.info(`influx ${cfg.url}: writes succeed again`);
      down = false;
    },
  });

  const replayApi: WriteApi = client.getWriteApi(cfg.org, cfg.bucket, 'ms', {
    batchSize: REPLAY_CHUNK + 1,
    flushInterval: 0,
    maxRetries: 0,
    writeFailed: (error) => Promise.reject(error),
  });

  let replaying: Promise<void> | null = null;
  async function replay(): Promise<void> {
    for (let seg = spill.next(); seg; seg = spill.next()) {
      let offset = seg.offset;
      while (offset < seg.lines.length) {
        const chunk = seg.lines.slice(offset, offset + REPLAY_CHUNK);
        replayApi.writeRecords(chunk);
        await replayApi.flush();
        offset += chunk.length;
        stats.linesReplayed += chunk.length;
        spill.advance(seg.file, offset, seg.lines.length);
      }
      // Removes an empty segment, or one whose saved position is already at its end.
      spill.advance(seg.file, offset, seg.lines.length);
      stats.spillBytes = spill.bytes();
    }
  }
  const tryReplay = () => {
    if (replaying || stats.spillBytes === 0) return replaying ?? Promise.resolve();
    replaying = replay()
      .catch((err: Error) => {
        if (!down) log.warn({ err: err.message }, `influx ${cfg.url}: spill replay paused: ${err.message}`);
        down = true;
      })
      .finally(() => {
        replaying = null;
        stats.spillBytes = spill.bytes();
      });
    return replaying;
  };
  const timer = setInterval(() => void tryReplay(), 2000);
  timer.unref();

  return {
    write(points: InfluxPoint[]) {
      const lines: string[] = [];
      for (const p of points) {
        const line = toLine(p);
        if (line) lines.push(line);
      }
      stats.linesQueued += lines.length;
      live.writeRecords(lines);
    },
    async flush() {
      await live.flush().catch(() => {});
      await tryReplay();
    },
    stats: () => ({ ...stats }),
    async query(influxql: string) {
      const url = new URL('/query', cfg.url);
      url.searchParams.set('db', cfg.bucket);
      url.searchParams.set('q', influxql);
      url.searchParams.set('epoch', 'ms');
      const headers: Record<string, string> = cfg.token ? { authorization: `Token ${cfg.token}` } : {};
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
        if (!res.ok) return null;
        const body = (await res.json()) as {
          results?: { series?: { columns: string[]; values: unknown[][] }[] }[];
        };
        const series = body.results?.[0]?.series?.[0];
        if (!series) return [];
        return series.values.map((row) => Object.fromEntries(series.columns.map((c, i) => [c, row[i]])));
      } catch {
        return null;
      }
    },
    async close() {
      clearInterval(timer);
      await live.close().catch(() => {});
      await tryReplay();
      await replayApi.close().catch(() => {});
    },
  };
}
