/**
 * How the container grid colours a slot, per metric, as tables: each row is the upper bound of a
 * band (exclusive), its colour and its legend label. Pure, so it is tested without a browser.
 */

export type MetricId = 'chipTemp' | 'hashRatio' | 'power' | 'status';

/** What the grid knows about one slot; null where the API has no figure. */
export interface SlotFigures {
  minerId: string | null;
  status: string | null;
  chipTempMaxC: number | null;
  hashrateThs: number | null;
  expectedHashrateThs: number | null;
  powerW: number | null;
}

export interface Band {
  below: number;
  colour: string;
  label: string;
  /** Catalogue key of a label in words (figures need none). */
  key?: string;
}

export interface Swatch {
  colour: string;
  label: string;
  key?: string;
}

export const EMPTY: Swatch = { colour: '#f1f3f5', label: 'empty slot', key: 'band.empty' };
export const NO_DATA: Swatch = { colour: '#adb5bd', label: 'no data', key: 'band.noData' };

const CHIP_TEMP_C: Band[] = [
  { below: 60, colour: '#2b8a3e', label: '< 60 °C' },
  { below: 75, colour: '#74b816', label: '60–75 °C' },
  { below: 85, colour: '#f59f00', label: '75–85 °C' },
  { below: 95, colour: '#e8590c', label: '85–95 °C' },
  { below: Number.POSITIVE_INFINITY, colour: '#c92a2a', label: '≥ 95 °C' },
];

/** Hashrate as a fraction of the model's expected hashrate. */
const HASH_RATIO: Band[] = [
  { below: 0.01, colour: '#c92a2a', label: 'not hashing', key: 'band.notHashing' },
  { below: 0.7, colour: '#e8590c', label: '< 70 % of expected', key: 'band.below70' },
  { below: 0.9, colour: '#f59f00', label: '70–90 %' },
  { below: 0.97, colour: '#74b816', label: '90–97 %' },
  { below: Number.POSITIVE_INFINITY, colour: '#2b8a3e', label: '≥ 97 %' },
];

const POWER_W: Band[] = [
  { below: 100, colour: '#dee2e6', label: '< 100 W (off)', key: 'band.off' },
  { below: 2000, colour: '#a5d8ff', label: '0.1–2 kW' },
  { below: 3000, colour: '#4dabf7', label: '2–3 kW' },
  { below: 3600, colour: '#1971c2', label: '3–3.6 kW' },
  { below: Number.POSITIVE_INFINITY, colour: '#862e9c', label: '≥ 3.6 kW' },
];

/** Miner states from contracts (MinerStateSchema) plus what the controller derives. */
const STATUS: Record<string, Swatch> = {
  hashing: { colour: '#2b8a3e', label: 'hashing', key: 'minerState.hashing' },
  starting: { colour: '#74b816', label: 'starting', key: 'minerState.starting' },
  idle: { colour: '#f59f00', label: 'idle', key: 'minerState.idle' },
  sleeping: { colour: '#4dabf7', label: 'sleeping', key: 'minerState.sleeping' },
  error: { colour: '#c92a2a', label: 'error', key: 'minerState.error' },
  unreachable: { colour: '#343a40', label: 'unreachable', key: 'minerState.unreachable' },
  offline: { colour: '#343a40', label: 'offline', key: 'minerState.offline' },
  // An expected miner that does not answer its API (issue 19 item 1), and one not yet looked for.
  notAnswering: { colour: '#862e2e', label: 'not answering', key: 'minerState.notAnswering' },
  expected: { colour: '#ced4da', label: 'expected', key: 'minerState.expected' },
};

function band(bands: Band[], value: number): Swatch {
  const row = bands.find((b) => value < b.below) ?? bands[bands.length - 1]!;
  return row.key
    ? { colour: row.colour, label: row.label, key: row.key }
    : { colour: row.colour, label: row.label };
}

function ratio(s: SlotFigures): number | null {
  if (s.hashrateThs === null) return null;
  if (s.expectedHashrateThs === null || s.expectedHashrateThs <= 0) return null;
  return s.hashrateThs / s.expectedHashrateThs;
}

export interface Metric {
  id: MetricId;
  /** Catalogue key of the metric's name. */
  label: string;
  /** The figure shown in the cell and its tooltip. */
  text: (s: SlotFigures) => string | null;
  swatch: (s: SlotFigures) => Swatch;
  legend: Swatch[];
}

function banded(value: (s: SlotFigures) => number | null, bands: Band[]) {
  return (s: SlotFigures): Swatch => {
    const v = value(s);
    return v === null ? NO_DATA : band(bands, v);
  };
}

export const METRICS: Metric[] = [
  {
    id: 'chipTemp',
    label: 'metric.chipTemp',
    text: (s) => (s.chipTempMaxC === null ? null : `${Math.round(s.chipTempMaxC)}°`),
    swatch: banded((s) => s.chipTempMaxC, CHIP_TEMP_C),
    legend: CHIP_TEMP_C,
  },
  {
    id: 'hashRatio',
    label: 'metric.hashRatio',
    text: (s) => {
      const r = ratio(s);
      return r === null ? null : `${Math.round(r * 100)}%`;
    },
    swatch: banded(ratio, HASH_RATIO),
    legend: HASH_RATIO,
  },
  {
    id: 'power',
    label: 'metric.power',
    text: (s) => (s.powerW === null ? null : `${(s.powerW / 1000).toFixed(1)}k`),
    swatch: banded((s) => s.powerW, POWER_W),
    legend: POWER_W,
  },
  {
    id: 'status',
    label: 'metric.status',
    text: (s) => s.status,
    swatch: (s) => (s.status === null ? NO_DATA : (STATUS[s.status] ?? NO_DATA)),
    legend: Object.values(STATUS).filter((v, i, all) => all.findIndex((w) => w.colour === v.colour) === i),
  },
];

export function metric(id: string): Metric {
  return METRICS.find((m) => m.id === id) ?? METRICS[0]!;
}

/** The colour of one slot under a metric; an empty slot is always EMPTY whatever the metric. */
export function slotSwatch(id: MetricId, s: SlotFigures): Swatch {
  return s.minerId === null ? EMPTY : metric(id).swatch(s);
}

/** Black or white text, whichever reads on the background (WCAG relative luminance). */
export function inkOn(hex: string): string {
  const c = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return l > 0.4 ? '#111' : '#fff';
}
