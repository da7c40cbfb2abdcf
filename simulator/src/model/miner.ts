import type { ModelInfo } from '@hashfleet/firmware-profiles';
import { createRng, type Rng } from '../rng.js';
import type { Fault, FaultKind } from './faults.js';

export type PoolConfig = { url: string; user: string; password: string };

export type MinerIdentity = {
  id: string;
  serial: string;
  mac: string;
  ip: string;
  model: ModelInfo;
  profile: string;
  firmwareVersion: string;
  hostname: string;
};

export type MinerTiming = {
  /** Seconds the API is unavailable after a reboot or power-on. */
  bootS: number;
  /** Seconds the API is unavailable after a mining-daemon restart. */
  restartS: number;
  /** Seconds from taking a firmware image to answering again (flash and boot); absent: `bootS`. */
  upgradeBootS?: number;
};

/** 2^32: hashes per difficulty-1 share. */
export const HASHES_PER_DIFF1 = 4294967296;
const TEMP_TAU_S = 60;
const REJECT_EVERY = 500;
const SETTLE_S = 600;

/**
 * One simulated miner's physics and bookkeeping. State advances lazily from elapsed simulated
 * time whenever something reads it (no timers), so thousands fit in one process.
 * Work accrues as difficulty-1 shares; accepted shares are whole multiples of the pool
 * difficulty, so `Difficulty Accepted` grows by hashrate*dt/2^32 in expectation.
 */
export class MinerModel {
  readonly id: string;
  readonly serial: string;
  mac: string;
  ip: string;
  readonly model: ModelInfo;
  readonly profile: string;
  /** The version it runs; a firmware upgrade changes it. */
  firmwareVersion: string;
  /** The version the last upgrade flashed (replies otherwise taken from a recording name it). */
  upgradedTo: string | null = null;
  /** A seeded bad unit (scenario `failsUpgrade`): it takes an image and never answers again. */
  failsUpgrade = false;
  readonly hostname: string;
  readonly poolDifficulty: number;

  pools: PoolConfig[];
  activePool = 0;
  powerLimitW: number;
  mode: 'normal' | 'sleep' = 'normal';
  led = false;

  poweredOn = true;
  /** Sim time (ms) the mining daemon started: counters and Elapsed count from here. */
  daemonStartMs: number;
  /** Sim time (ms) the miner last booted. */
  bootMs: number;
  /** Sim time (ms) before which the API does not answer (booting or restarting). */
  apiReadyMs: number;

  accepted = 0;
  rejected = 0;
  difficultyAccepted = 0;
  difficultyRejected = 0;
  hardwareErrors = 0;
  /** Difficulty-1 work done since the daemon started (float). */
  workDiff1 = 0;
  bestShare = 0;
  lastShareMs = 0;
  private pendingWork = 0;

  boardThs: number[];
  chipTempC: number[];
  boardTempC: number[];
  fanRpm: number[];
  fanPct = 0;
  powerW = 0;
  ambientC = 20;
  private readonly boardBias: number[];
  private lastMs: number;
  readonly faults = new Map<FaultKind, Fault>();
  /** Per-firmware session state (tokens, salts, LuxOS sessions), keyed by the firmware. */
  readonly session = new Map<string, unknown>();
  /** The firmware's API/admin password (btminer admin, v3 super, LuxOS and SSH root). */
  password = '';
  /** root's SSH password (pyasic defaults: Antminer `miner`, Braiins OS `root`). */
  sshPassword = 'root';
  /** Web UI password (Antminer digest `root`/`root`). */
  webPassword = 'root';
  readonly rng: Rng;

  constructor(
    identity: MinerIdentity,
    pools: PoolConfig[],
    seed: number,
    nowMs: number,
    readonly timing: MinerTiming,
  ) {
    this.id = identity.id;
    this.serial = identity.serial;
    this.mac = identity.mac;
    this.ip = identity.ip;
    this.model = identity.model;
    this.profile = identity.profile;
    this.firmwareVersion = identity.firmwareVersion;
    this.hostname = identity.hostname;
    this.pools = pools.map((p) => ({ ...p }));
    this.powerLimitW = identity.model.nominalW;
    this.rng = createRng(seed);
    const perSecond = (identity.model.nominalThs * 1e12) / HASHES_PER_DIFF1;
    // Pools set a difficulty giving a share every few seconds; vardiff lands on a power of two.
    this.poolDifficulty = 2 ** Math.max(0, Math.round(Math.log2(Math.max(1, perSecond * 5))));
    const boards = identity.model.boards;
    this.boardBias = Array.from({ length: boards }, () => (this.rng.next() - 0.5) * 6);
    this.boardThs = new Array(boards).fill(0);
    this.chipTempC = new Array(boards).fill(20);
    this.boardTempC = new Array(boards).fill(20);
    this.fanRpm = new Array(identity.model.fans).fill(0);
    // Miners in a running scenario have been up for a while; spread uptimes so they differ.
    const upS = 3600 + Math.floor(this.rng.next() * 86400 * 3);
    this.bootMs = nowMs - upS * 1000;
    this.daemonStartMs = this.bootMs + 30_000;
    this.apiReadyMs = this.daemonStartMs;
    this.lastMs = this.daemonStartMs;
    // Counters for all but the last ten minutes at once; the first advance() runs those ten
    // minutes through the physics so temperatures and fans start settled.
    this.warmStart(upS - 30 - SETTLE_S);
  }

  /** Fills counters as if the miner had been hashing at nominal rate for `seconds`. */
  private warmStart(seconds: number): void {
    const work = (this.model.nominalThs * 1e12 * seconds) / HASHES_PER_DIFF1;
    const shares = Math.floor(work / this.poolDifficulty);
    this.rejected = Math.floor(shares / REJECT_EVERY);
    this.accepted = shares - this.rejected;
    this.difficultyAccepted = this.accepted * this.poolDifficulty;
    this.difficultyRejected = this.rejected * this.poolDifficulty;
    this.workDiff1 = work;
    this.hardwareErrors = Math.floor(seconds / 90);
    this.bestShare = this.poolDifficulty * 4000;
    this.lastMs = this.daemonStartMs + seconds * 1000;
    this.lastShareMs = this.lastMs;
  }

  get nominalThs(): number {
    return this.model.nominalThs;
  }

  /** Whether the API answers at `nowMs` (powered, booted, not `dead`). */
  apiUp(nowMs: number): boolean {
    return this.poweredOn && nowMs >= this.apiReadyMs && !this.faults.has('dead');
  }

  hashing(nowMs: number): boolean {
    return this.poweredOn && nowMs >= this.apiReadyMs && this.mode === 'normal';
  }

  uptimeS(nowMs: number): number {
    return this.poweredOn ? Math.max(0, Math.floor((nowMs - this.bootMs) / 1000)) : 0;
  }

  elapsedS(nowMs: number): number {
    return this.poweredOn ? Math.max(0, Math.floor((nowMs - this.daemonStartMs) / 1000)) : 0;
  }

  get hashrateThs(): number {
    let sum = 0;
    for (const b of this.boardThs) sum += b;
    return sum;
  }

  /** Average hashrate since the daemon started, derived from the work counter (TH/s). */
  averageThs(nowMs: number): number {
    const s = (nowMs - this.daemonStartMs) / 1000;
    return s > 0 ? (this.workDiff1 * HASHES_PER_DIFF1) / s / 1e12 : 0;
  }

  /** Chips answering on board `b` (a dead board reports none). */
  chipsOn(b: number): number {
    const f = this.faults.get('dead-board');
    return f && f.kind === 'dead-board' && f.board === b ? 0 : this.model.chipsPerBoard;
  }

  fanFailed(i: number): boolean {
    const f = this.faults.get('failed-fan');
    return f?.kind === 'failed-fan' && f.fan === i;
  }

  /** Advances physics and counters to `nowMs` at the given ambient temperature. */
  advance(nowMs: number, ambientC: number): void {
    this.ambientC = ambientC;
    const dtS = (nowMs - this.lastMs) / 1000;
    if (dtS <= 0) return;
    this.lastMs = nowMs;
    const boards = this.model.boards;
    const hashing = this.hashing(nowMs);
    const low = this.faults.get('low-hashrate');
    const factor = low?.kind === 'low-hashrate' ? low.factor : 1;
    const limit = Math.min(1, this.powerLimitW / this.model.nominalW);
    const perBoard = (this.model.nominalThs / boards) * factor * limit;
    let hottest = 0;
    for (const t of this.chipTempC) hottest = Math.max(hottest, t);
    // Firmware protects itself: above 95 C chip temperature it halves the frequency.
    const throttle = hottest > 95 ? 0.5 : 1;
    for (let b = 0; b < boards; b++) {
      const alive = hashing && this.chipsOn(b) > 0;
      this.boardThs[b] = alive ? Math.max(0, perBoard * throttle * (1 + 0.012 * this.rng.normal())) : 0;
    }
    const ths = this.hashrateThs;
    this.accrue((ths * 1e12 * dtS) / HASHES_PER_DIFF1, nowMs);
    this.hardwareErrors += hashing ? Math.floor(dtS / 90 + this.rng.next()) : 0;

    const load = ths / this.model.nominalThs;
    if (!this.poweredOn) this.powerW = 0;
    else if (!hashing) this.powerW = 35 + this.rng.next() * 5;
    else this.powerW = 60 + (this.model.nominalW - 60) * load * (0.98 + 0.04 * this.rng.next());

    const fans = this.model.fans;
    this.fanPct = !this.poweredOn ? 0 : hashing ? clamp(40 + (ambientC - 10) * 1.8, 30, 100) : 20;
    let working = 0;
    for (let i = 0; i < fans; i++) {
      const failed = this.fanFailed(i);
      if (!failed) working++;
      this.fanRpm[i] =
        failed || !this.poweredOn ? 0 : Math.round(60 * this.fanPct * (1 + 0.02 * this.rng.normal()));
    }
    const heat = this.poweredOn ? this.powerW / this.model.nominalW : 0;
    const airflowLoss = fans > 0 ? 1 + 1.5 * (1 - working / fans) : 1;
    const rise = fans > 0 ? 45 * heat * airflowLoss * (1.2 - (0.4 * this.fanPct) / 100) : 35 * heat;
    const k = 1 - Math.exp(-dtS / TEMP_TAU_S);
    for (let b = 0; b < boards; b++) {
      const target = ambientC + rise + (this.boardThs[b]! > 0 || !hashing ? this.boardBias[b]! : -rise * 0.6);
      this.chipTempC[b] = this.chipTempC[b]! + (target - this.chipTempC[b]!) * k;
      this.boardTempC[b] = ambientC + (this.chipTempC[b]! - ambientC) * 0.75;
    }
  }

  private accrue(work: number, nowMs: number): void {
    if (work <= 0) return;
    this.workDiff1 += work;
    this.pendingWork += work;
    const shares = Math.floor(this.pendingWork / this.poolDifficulty);
    if (shares <= 0) return;
    this.pendingWork -= shares * this.poolDifficulty;
    const before = this.accepted + this.rejected;
    const rejected = Math.floor((before + shares) / REJECT_EVERY) - Math.floor(before / REJECT_EVERY);
    this.rejected += rejected;
    this.accepted += shares - rejected;
    this.difficultyAccepted += (shares - rejected) * this.poolDifficulty;
    this.difficultyRejected += rejected * this.poolDifficulty;
    this.bestShare = Math.max(
      this.bestShare,
      Math.floor(this.poolDifficulty * (1 / Math.max(this.rng.next(), 1e-6))),
    );
    this.lastShareMs = nowMs;
  }

  /** Counters start from zero, as when the mining daemon starts. */
  resetCounters(nowMs: number): void {
    this.accepted = 0;
    this.rejected = 0;
    this.difficultyAccepted = 0;
    this.difficultyRejected = 0;
    this.hardwareErrors = 0;
    this.workDiff1 = 0;
    this.pendingWork = 0;
    this.bestShare = 0;
    this.daemonStartMs = nowMs;
    this.lastMs = Math.max(this.lastMs, nowMs);
  }

  /** Reboot: the API is gone for `bootS`, then everything starts from zero. */
  reboot(nowMs: number): void {
    this.poweredOn = true;
    this.bootMs = nowMs;
    this.apiReadyMs = nowMs + this.timing.bootS * 1000;
    this.resetCounters(this.apiReadyMs);
    this.mode = 'normal';
  }

  /**
   * Runs a new firmware image (issue 20 item 4): the API is gone for the upgrade boot, then the
   * miner answers with `version` and counters from zero; a bad unit never comes back.
   */
  flash(nowMs: number, version: string): void {
    this.firmwareVersion = version;
    this.upgradedTo = version;
    this.reboot(nowMs);
    this.apiReadyMs = nowMs + (this.timing.upgradeBootS ?? this.timing.bootS) * 1000;
    this.resetCounters(this.apiReadyMs);
    if (this.failsUpgrade) this.faults.set('dead', { kind: 'dead' });
  }

  /** Mining daemon restart (cgminer `restart`, `/etc/init.d/bosminer restart`). */
  restartDaemon(nowMs: number): void {
    this.apiReadyMs = nowMs + this.timing.restartS * 1000;
    this.resetCounters(this.apiReadyMs);
  }

  powerOff(nowMs: number): void {
    this.advance(nowMs, this.ambientC);
    this.poweredOn = false;
    // A hung daemon lives in RAM: losing power clears it (what a technician's power-cycle is for).
    // The other connection faults stand for lasting causes (dead board, bad network) and stay.
    this.faults.delete('hung');
    this.apiReadyMs = Number.POSITIVE_INFINITY;
    this.boardThs.fill(0);
    this.powerW = 0;
  }

  powerOn(nowMs: number): void {
    if (this.poweredOn) return;
    this.lastMs = nowMs;
    this.reboot(nowMs);
  }

  /** Changes the pool at `index` (or the active one) and makes it active. */
  setPool(index: number, pool: PoolConfig): void {
    this.pools[index] = { ...pool };
    this.activePool = index;
  }

  newMac(): string {
    const bytes = [0x02, ...Array.from({ length: 5 }, () => this.rng.int(256))];
    return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
