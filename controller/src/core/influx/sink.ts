/** One time-series point; `at` is epoch ms. Tags must have bounded cardinality (README schema). */
export type InfluxPoint = {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string | null | undefined>;
  at: number;
};

/** The optional time-series sink (InfluxDB v2 write API). The controller works without it. */
export interface InfluxSink {
  /** Queues points; never throws, never blocks: failures retry, then spill to disk. */
  write(points: InfluxPoint[]): void;
  /** Sends what is queued (and replays the spill if the server is back). */
  flush(): Promise<void>;
  /** Counters for /metrics and tests. */
  stats(): InfluxStats;
  /** InfluxQL query (for miner history); null when the server cannot answer. */
  query?(influxql: string): Promise<Record<string, unknown>[] | null>;
  close(): Promise<void>;
}

export type InfluxStats = {
  linesQueued: number;
  linesWritten: number;
  linesSpilled: number;
  linesReplayed: number;
  linesDropped: number;
  spillBytes: number;
  writeErrors: number;
};
