import type { ModelInfo } from './types.js';

/**
 * The model table (docs/style.md §4): nameplate figures joined with a profile at run time.
 * Nominal TH/s and W are the vendor's stock figures; warranty months are the vendor's standard
 * term for new units. Scrypt/ethash/equihash/x11 rows keep their native unit in `nominalThs`
 * scaled to TH-equivalent of the firmware's "GHS" field and are excluded from BTC accounting.
 */
const row = (
  model: string,
  make: ModelInfo['make'],
  nominalThs: number,
  nominalW: number,
  boards: number,
  chipsPerBoard: number,
  fans: number,
  releaseYear: number,
  extra: Partial<ModelInfo> = {},
): ModelInfo => ({
  model,
  make,
  aliases: [],
  nominalThs,
  nominalW,
  boards,
  chipsPerBoard,
  fans,
  cooling: 'air',
  warrantyMonths: make === 'MicroBT' ? 12 : 6,
  algorithm: 'sha256',
  releaseYear,
  ...extra,
});

/**
 * Chips per board: as the recorded replies show it where one exists (`chain_acn`, `asic_num`,
 * `Effective Chips` of a healthy board), else the vendor figure. Whatsminer and Avalon variants
 * (V10/V20.., -83/-90 TH bins) differ in chip count; the row holds the common one.
 */
export const MODELS: readonly ModelInfo[] = [
  // Bitmain SHA-256
  row('Antminer S9', 'Bitmain', 13.5, 1323, 3, 63, 2, 2016, {
    aliases: ['braiins-am1-s9'],
  }),
  row('Antminer S9i', 'Bitmain', 14, 1320, 3, 63, 2, 2018),
  row('Antminer S9j', 'Bitmain', 14.5, 1350, 3, 63, 2, 2018),
  row('Antminer S9k', 'Bitmain', 13.5, 1200, 3, 60, 2, 2019),
  row('Antminer S9 SE', 'Bitmain', 16, 1280, 3, 60, 2, 2019),
  row('Antminer S15', 'Bitmain', 28, 1596, 4, 72, 2, 2018),
  row('Antminer T15', 'Bitmain', 23, 1541, 3, 60, 2, 2018),
  row('Antminer S17', 'Bitmain', 56, 2520, 3, 48, 2, 2019),
  row('Antminer S17 Pro', 'Bitmain', 53, 2094, 3, 48, 2, 2019),
  row('Antminer S17+', 'Bitmain', 73, 2920, 3, 65, 2, 2019),
  row('Antminer T17', 'Bitmain', 40, 2200, 3, 30, 2, 2019),
  row('Antminer T17+', 'Bitmain', 64, 3200, 3, 44, 2, 2020),
  row('Antminer S19', 'Bitmain', 95, 3250, 3, 76, 4, 2020),
  row('Antminer S19 Pro', 'Bitmain', 110, 3250, 3, 114, 4, 2020),
  row('Antminer S19j', 'Bitmain', 90, 3100, 3, 114, 4, 2020),
  row('Antminer S19j Pro', 'Bitmain', 100, 3050, 3, 126, 4, 2021),
  row('Antminer S19j Pro+', 'Bitmain', 122, 3355, 3, 120, 4, 2022),
  row('Antminer S19 XP', 'Bitmain', 140, 3010, 3, 110, 4, 2022),
  row('Antminer S19 XP Hyd.', 'Bitmain', 255, 5346, 3, 204, 0, 2022, { cooling: 'hydro' }),
  row('Antminer S19k Pro', 'Bitmain', 120, 2760, 3, 77, 4, 2023),
  row('Antminer S19 Pro Hyd.', 'Bitmain', 177, 5221, 3, 114, 0, 2022, { cooling: 'hydro' }),
  row('Antminer S21', 'Bitmain', 200, 3500, 3, 108, 4, 2023),
  row('Antminer S21 Hyd.', 'Bitmain', 335, 5360, 3, 216, 0, 2024, { cooling: 'hydro' }),
  row('Antminer T21', 'Bitmain', 190, 3610, 3, 108, 4, 2024),
  row('Antminer S21 Pro', 'Bitmain', 234, 3510, 3, 65, 4, 2024),
  row('Antminer S21 XP', 'Bitmain', 270, 3645, 3, 91, 4, 2024),
  row('Antminer S21 XP Hyd.', 'Bitmain', 473, 5676, 3, 160, 0, 2024, { cooling: 'hydro' }),
  row('Antminer S21+', 'Bitmain', 216, 3564, 3, 55, 4, 2024),
  row('Antminer S21+ Hyd.', 'Bitmain', 319, 4785, 3, 95, 0, 2024, { cooling: 'hydro' }),
  row('Antminer S23 Hyd.', 'Bitmain', 580, 5510, 3, 88, 0, 2025, { cooling: 'hydro' }),
  // Bitmain other algorithms. nominalThs is in the unit the firmware's "GHS" field becomes after
  // the profile's GH->TH conversion (L3+ 504 MH/s is reported as "GHS" 504 -> 0.504), so a
  // reading and its nominal compare like for like; BTC accounting excludes these rows.
  row('Antminer L3+', 'Bitmain', 0.504, 800, 4, 72, 2, 2017, { algorithm: 'scrypt' }),
  row('Antminer L7', 'Bitmain', 9.5, 3425, 3, 120, 4, 2021, { algorithm: 'scrypt' }),
  row('Antminer D3', 'Bitmain', 19.3, 1200, 3, 60, 2, 2017, { algorithm: 'x11' }),
  row('Antminer DR5', 'Bitmain', 35, 1610, 3, 72, 2, 2018, { algorithm: 'other' }),
  row('Antminer E3', 'Bitmain', 0.19, 760, 12, 8, 2, 2018, { algorithm: 'ethash' }),
  row('Antminer Z9 Mini', 'Bitmain', 0.01, 300, 3, 4, 1, 2018, { algorithm: 'equihash' }),
  row('Antminer Z11', 'Bitmain', 0.135, 1418, 3, 9, 2, 2019, { algorithm: 'equihash' }),
  // MicroBT
  row('Whatsminer M3', 'MicroBT', 12.5, 2000, 3, 60, 2, 2017, { aliases: ['M3X', 'M3V10'] }),
  row('Whatsminer M20S', 'MicroBT', 68, 3360, 3, 111, 2, 2019),
  row('Whatsminer M21S', 'MicroBT', 56, 3360, 3, 105, 2, 2019),
  row('Whatsminer M30S', 'MicroBT', 88, 3344, 3, 148, 2, 2020),
  row('Whatsminer M30S+', 'MicroBT', 100, 3400, 3, 215, 2, 2020),
  row('Whatsminer M30S++', 'MicroBT', 112, 3472, 3, 255, 2, 2020),
  row('Whatsminer M31S', 'MicroBT', 76, 3220, 3, 78, 2, 2020),
  row('Whatsminer M31S+', 'MicroBT', 80, 3360, 3, 78, 2, 2021),
  row('Whatsminer M50', 'MicroBT', 114, 3306, 3, 105, 2, 2022),
  row('Whatsminer M50S', 'MicroBT', 126, 3276, 3, 105, 2, 2022),
  row('Whatsminer M50S+', 'MicroBT', 132, 3306, 3, 105, 2, 2023),
  row('Whatsminer M50S++', 'MicroBT', 150, 3300, 3, 105, 2, 2023),
  row('Whatsminer M53', 'MicroBT', 226, 6174, 4, 105, 0, 2022, { cooling: 'hydro' }),
  row('Whatsminer M56S', 'MicroBT', 212, 5550, 4, 105, 0, 2022, { cooling: 'immersion' }),
  row('Whatsminer M60', 'MicroBT', 172, 3422, 3, 100, 2, 2023),
  row('Whatsminer M60S', 'MicroBT', 186, 3441, 3, 100, 2, 2023),
  row('Whatsminer M63S', 'MicroBT', 390, 7215, 4, 100, 0, 2023, { cooling: 'hydro' }),
  row('Whatsminer M66S', 'MicroBT', 298, 5513, 4, 100, 0, 2023, { cooling: 'immersion' }),
  // Canaan
  row('AvalonMiner 741', 'Canaan', 7.3, 1150, 4, 22, 1, 2017),
  row('AvalonMiner 821', 'Canaan', 11, 1200, 4, 26, 1, 2017),
  row('AvalonMiner 841', 'Canaan', 13.6, 1290, 4, 26, 1, 2018),
  row('AvalonMiner 1047', 'Canaan', 37, 2380, 3, 120, 2, 2020, { warrantyMonths: 6 }),
  row('AvalonMiner 1066', 'Canaan', 50, 3250, 3, 120, 2, 2020, { warrantyMonths: 6 }),
  row('AvalonMiner 1126 Pro', 'Canaan', 68, 3420, 3, 120, 2, 2021),
  row('AvalonMiner 1246', 'Canaan', 90, 3420, 3, 120, 2, 2021, {
    aliases: ['AvalonMiner 1246-83', 'AvalonMiner 1246-90'],
  }),
  row('Avalon A1346', 'Canaan', 110, 3300, 3, 120, 2, 2023, { aliases: ['AvalonMiner 1346', 'A1346'] }),
  row('Avalon A1366', 'Canaan', 130, 3250, 3, 120, 2, 2023, { aliases: ['AvalonMiner 1366', 'A1366'] }),
  row('Avalon A1466', 'Canaan', 150, 3230, 3, 120, 2, 2024, { aliases: ['AvalonMiner 1466', 'A1466'] }),
  row('Avalon A1566', 'Canaan', 185, 3420, 3, 120, 2, 2024, {
    aliases: ['AvalonMiner 1566', 'A1566', 'AvalonMiner 15-194'],
  }),
  row('Avalon Q', 'Canaan', 90, 1674, 1, 160, 4, 2025, { aliases: ['AvalonMiner Q'] }),
  row('Avalon Nano 3', 'Canaan', 4, 140, 1, 10, 1, 2024, { aliases: ['AvalonNano3'] }),
  // Auradine: 3 hash boards and 4 fans as the recorded GCMiner replies show them (testcases/auradine/);
  // 260 TH/s at 16 J/TH are Auradine's launch figures for the air-cooled Teraflux. The chip count is
  // not in any reply or document the project holds: 345 is a third-party figure, unverified.
  row('Auradine Teraflux AT2880', 'Other', 260, 4160, 3, 345, 4, 2023, { aliases: ['AT2880'] }),
];

/** Normalises a model string as firmwares report it (docs/style.md §4: normalised in one place). */
export function normaliseModelName(raw: string): string {
  return raw
    .split('\n')[0]!
    .replace(/\s*\((?:vnish|VNish)[^)]*\)/, '')
    .replace(/\s+hiveon$/i, '')
    .replace(/^Bitmain\s+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9+]/g, '');
const index = new Map<string, ModelInfo>();
for (const m of MODELS) {
  index.set(key(m.model), m);
  for (const a of m.aliases) index.set(key(a), m);
}

/** Looks a model up by any reported name; null when it is not in the table. */
export function findModel(raw: string | null | undefined): ModelInfo | null {
  if (!raw) return null;
  const k = key(normaliseModelName(raw));
  return (
    index.get(k) ??
    index.get(`antminer${k}`) ??
    index.get(`whatsminer${k}`) ??
    index.get(`avalonminer${k}`) ??
    null
  );
}

/**
 * Temperature limits by cooling type, in °C, for alerting (the hottest chip, the hottest board/PCB
 * sensor). Air: Bitmain's stock firmware starts protecting itself (halving frequency, then
 * shutting down) around 95 °C chip temperature on the S19/S21 generation; the limit keeps 5 °C
 * of margin so a human hears first. Boards read lower than chips (the PCB sensor sits away from
 * the die), hence 80 °C. Hydro and immersion units run their chips cooler by design, so the same
 * reading means more trouble there: 5 °C less. Our margins, not vendor figures; override per
 * model or site in the alert rules.
 */
export const TEMP_LIMITS_C: Readonly<Record<ModelInfo['cooling'], { chipC: number; boardC: number }>> = {
  air: { chipC: 90, boardC: 80 },
  hydro: { chipC: 85, boardC: 75 },
  immersion: { chipC: 85, boardC: 75 },
};
