import type { MinerOp, MinerReading } from '@hashfleet/contracts';
import type { z } from 'zod';

/**
 * How a request reaches a miner. Profiles describe requests as data; the agent owns the sockets.
 * - `rpc`: cgminer-family API, one request per TCP connection, reply read to close (NUL optional).
 * - `wm-v3`: Whatsminer API v3, uint32-LE length-prefixed JSON frames on 4433.
 * - `http`: the firmware's web API.
 * - `ssh`: a shell command line on the miner.
 */
export type Transport = 'rpc' | 'wm-v3' | 'http' | 'ssh';

export type RpcRequest = {
  transport: 'rpc';
  port: number;
  /** One command, or several joined with `+` where the firmware supports it. */
  command: string;
  parameter?: string;
  /** `json` sends `{"command":..}`; `text` sends `command|parameter`. */
  format: 'json' | 'text';
  /** btminer-native commands use `cmd` instead of `command` as the JSON key. */
  key?: 'command' | 'cmd';
  /**
   * Extra top-level JSON members sent beside the command (btminer-native privileged commands take
   * named fields, e.g. `{"cmd":"update_pools","pool1":..,"worker1":..}`). Values may hold `{placeholders}`.
   */
  fields?: Record<string, string | number>;
};
export type WmV3Request = { transport: 'wm-v3'; port: number; cmd: string; param?: unknown };
export type HttpRequest = {
  transport: 'http';
  port: number;
  method: 'GET' | 'POST';
  path: string;
  auth: 'none' | 'digest' | 'bearer-vnish' | 'basic';
  body?: unknown;
};
export type SshRequest = { transport: 'ssh'; command: string };
export type MinerRequest = RpcRequest | WmV3Request | HttpRequest | SshRequest;

/** One named request of a poll cycle; its decoded reply is handed to `parse` under `key`. */
export type PollStep = { key: string; request: MinerRequest; optional?: boolean };

/** Result of the tolerant decoder for one raw reply. */
export type DecodedReply = {
  /** Parsed JSON value, or the object built from a text-format reply; null when nothing could be recovered. */
  value: unknown;
  /** Names of the repairs that fired, e.g. `nul-terminator`, `missing-comma-}{`, `bare-nan`. */
  repairs: string[];
  /** Set when the body could not be decoded at all. */
  error: string | null;
};

/** Raw bodies of a poll cycle, by PollStep key; null when that request failed. */
export type RawReplies = Record<string, string | null>;

/** What detection learned from `version` / `devdetails` (and v3 `get.device.info`). */
export type Detection = {
  profile: string;
  model: string | null;
  firmwareVersion: string | null;
  /** Port the poll cycle uses (4028, or 4433 for Whatsminer v3). */
  port: number;
};

/** Raw replies gathered for detection; any may be null when the miner did not answer it. */
export type DetectReplies = {
  version: string | null;
  devdetails: string | null;
  /** Whatsminer v3 `get.device.info` over 4433. */
  deviceInfo: string | null;
};

/**
 * Where a credential comes from. The agent resolves it from per-site config (files or env);
 * profiles only name the default account.
 */
export type AuthScheme =
  | { kind: 'none' }
  /** Antminer CGI: HTTP Digest, realm `antMiner Configuration`. */
  | { kind: 'http-digest'; defaultUser: string }
  /** VNish: POST /api/v1/unlock {pw} -> bearer token. */
  | { kind: 'vnish-bearer' }
  | { kind: 'ssh-password'; defaultUser: string }
  /** LuxOS: `logon` -> SESSION[0].SessionID, passed as the first parameter. */
  | { kind: 'luxos-session' }
  /** Whatsminer v2: get_token + md5crypt + AES-256-ECB envelope. */
  | { kind: 'wm-v2-token'; defaultUser: string }
  /** Whatsminer v3: per-command token sha256(cmd+password+salt+ts). */
  | { kind: 'wm-v3-token'; defaultUser: string };

/**
 * One way to carry out a control operation. Parameters in `{braces}` are filled by the agent
 * from the command and its config: `{url}`, `{user}`, `{password}`, `{watts}`, `{ledOn}` (1/0),
 * `{ledOnBool}` (true/false), `{unixTime}`, `{sessionId}` (LuxOS logon), `{webUser}`/`{webPassword}`
 * (Avalon setpool).
 * `steps` run in order; the operation succeeded when every step's reply passes `expect`.
 */
export type ControlOperation = {
  op: MinerOp;
  transport: Transport;
  auth: AuthScheme;
  /**
   * Requests in order. A step's `capture` takes a value from its reply's message for the steps
   * after it: `{ "param": "poolIndex", "pattern": "Added pool (\\d+)" }` reads cgminer's
   * `addpool` answer so the next step can `switchpool|{poolIndex}`.
   */
  steps: (MinerRequest & { capture?: Capture })[];
  /**
   * How the miner shows the operation took effect, read from its next readings (issue 16);
   * absent: the agent reports the command acknowledged but unverified.
   */
  effect?: Effect;
  /** How success shows in the reply: STATUS letter S/I, an HTTP 2xx, exit 0, or connection drop (reboot). */
  expect: 'status-ok' | 'http-2xx' | 'exit-0' | 'connection-closed-ok';
  /** Whether the miner reboots or restarts its daemon as a side effect. */
  disruptive: boolean;
  note?: string;
};

/**
 * A value read out of a step's reply by the first group of `pattern`: from the miner's message
 * (default), or from the raw body where the message does not carry it (BFGMiner's `addpool`
 * says "Added pool 'url'" without its index, so its profile reads the last `POOL` of a `pools` reply).
 */
export type Capture = { param: string; pattern: string; from?: 'message' | 'body'; match?: 'first' | 'last' };

/**
 * What a reading after a control operation must show, within `windowS` of the miner accepting it
 * (the commanded window: the firmware's restart or boot time plus its settling):
 * - `restarted`: it answers again with an uptime (cgminer `Elapsed`) shorter than the time since
 *   the command, i.e. the daemon or the machine started anew, and hashes again;
 * - `pool`: its active pool (the alive one of lowest priority) is the requested URL and user;
 * - `power`: its reported power limit, else its reported power, is the requested watts within
 *   `tolerancePct`;
 * - `hashing`: it hashes (`true`, wake) or does not (`false`, sleep);
 * - `unobservable`: no reading shows it; `why` says so in the result.
 */
export type Effect =
  | { kind: 'restarted'; windowS: number }
  | { kind: 'pool'; windowS: number }
  | { kind: 'power'; windowS: number; tolerancePct: number }
  | { kind: 'hashing'; hashing: boolean; windowS: number }
  | { kind: 'unobservable'; why: string }
  /**
   * `firmware` (issue 20 item 4): it answers reporting the image's version, and hashes at
   * `minHashPct` % or more of its expected hashrate (the firmware's own figure, else the
   * nameplate), within `windowS` of the upload (flashing plus the firmware's boot).
   */
  | { kind: 'firmware'; windowS: number; minHashPct: number };

/**
 * How a firmware takes a new image (issue 20 item 4), as data; the agent does the I/O, and fetches
 * and checks the image (SHA-256, size) before any of it reaches the miner.
 * - `http-upload`: one multipart/form-data POST of the image as form field `field` (file name
 *   `fileName`), beside the text `fields`, with the firmware's web auth; success is `expect`.
 * - `ssh-stream`: the image on the standard input of `command` over SSH; its exit status is the
 *   verdict, and a connection dropped by the reboot that follows counts as accepted.
 * - `none`: the firmware has no upgrade path this project can drive; `why` is the reason a
 *   command is refused up front.
 */
export type FirmwareUpgrade =
  | {
      kind: 'http-upload';
      port: number;
      path: string;
      auth: AuthScheme;
      field: string;
      fileName: string;
      fields: Record<string, string>;
      expect: 'http-2xx';
      effect: Extract<Effect, { kind: 'firmware' }>;
      /** Where the wire facts come from (docs/reference.md). */
      source: string;
    }
  | {
      kind: 'ssh-stream';
      command: string;
      auth: AuthScheme;
      effect: Extract<Effect, { kind: 'firmware' }>;
      source: string;
    }
  | { kind: 'none'; why: string };

export type Capability = { op: MinerOp; transport: Transport };

export type ParseContext = {
  /** Model row joined from the model table, when the model is known. */
  modelInfo: ModelInfo | null;
  /**
   * What `decodeReply` gave for some of these same bodies, by PollStep key, when the caller has
   * already decoded them (the agent decodes each required reply to fail an unreadable poll early,
   * agent/src/poll/poll-miner.ts): parse takes these instead of decoding those bodies again.
   * Absent keys are decoded as usual; the result is the same either way.
   */
  decoded?: ReadonlyMap<string, DecodedReply>;
};

export type ParseResult = MinerReading;

/** A firmware profile: data plus pure functions. No sockets, timers, logging or global state. */
export type FirmwareProfile = {
  id: string;
  name: string;
  /** Whether it identifies itself on this detection input; null when it is not this firmware. */
  detect(replies: DetectReplies): Detection | null;
  /** The minimal command set of one poll cycle. */
  poll: PollStep[];
  /** Lenient zod schemas, one per PollStep key. */
  schemas: Record<string, z.ZodType>;
  /** Raw replies -> one normalized reading. Never throws; missing fields are null and listed. */
  parse(replies: RawReplies, ctx: ParseContext): ParseResult;
  /** Control operations as data; capabilities derive from this list. */
  controls: ControlOperation[];
  /** How it takes a firmware image, or why it cannot (issue 20 item 4). */
  upgrade: FirmwareUpgrade;
};

/** A row of the model table (docs/style.md §4). */
export type ModelInfo = {
  /** Canonical model name, e.g. "Antminer S19 Pro". */
  model: string;
  make: 'Bitmain' | 'MicroBT' | 'Canaan' | 'Other';
  /** Name variants firmwares report, matched after normalisation. */
  aliases: string[];
  nominalThs: number;
  nominalW: number;
  boards: number;
  chipsPerBoard: number;
  fans: number;
  cooling: 'air' | 'hydro' | 'immersion';
  warrantyMonths: number;
  /** Hash algorithm; scrypt/ethash units differ and are excluded from BTC accounting. */
  algorithm: 'sha256' | 'scrypt' | 'ethash' | 'equihash' | 'x11' | 'other';
  releaseYear: number;
};
