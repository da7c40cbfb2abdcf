import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Principal } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { jsonReplacer } from '../core/http/zod.js';
import { sha256Hex } from './canonical.js';
import { closePeriod } from './close.js';
import { parseInputsDoc } from './close-inputs.js';
import { periodReadiness, waivePeriod } from './completeness.js';
import { getClose, recomputeStored } from './ledger.js';
import { periodContaining } from './period.js';
import { AccountingError } from './register.js';
import { closeAndPublish, importStakes } from './service.js';
import { reconciliationOf } from './views.js';

/**
 * `hashfleet-controller period close|recompute|show <period-id|yesterday>`,
 * `hashfleet-controller stakes import <file.csv>`, and `period verify <inputs.json> [holder]`, which
 * needs nothing but the inputs document a staker downloaded: it re-hashes it, re-runs the close
 * and prints both hashes and that holder's payout, to compare with the statement. It runs before
 * the app is built (`standaloneCli`), so it works from any folder and writes nothing; the
 * dependency-free twins are `tools/verify-payout.py` and `tools/verify-payout.mjs`. Thin: parse
 * arguments (`node:util` parseArgs), call the service, print JSON. Exit codes: 0 done, 1 refused
 * (message on stderr), 2 usage, 3 recompute differs.
 */
const PERIOD_USAGE =
  'usage: hashfleet-controller period close <id> [--override <reason>] | completeness <id> | waive <id> --reason <reason> | recompute|show <id> | verify <inputs.json> [holder]\n' +
  '  <id>: YYYY-MM-DD, a period id, or yesterday\n';
const STAKES_USAGE = 'usage: hashfleet-controller stakes import <file.csv>\n';

/** Positionals of a subcommand that takes no options; null (usage printed) on an unknown option. */
function positionals(args: string[], usage: string): string[] | null {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: {} }).positionals;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}`);
    return null;
  }
}

const cliActor = (): Principal => ({
  tokenId: 'cli',
  role: 'admin',
  stakerId: null,
  name: `cli:${userInfo().username}`,
});
const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, jsonReplacer, 2)}\n`);

function periodArg(arg: string | undefined, now: number): string | null {
  if (!arg) return null;
  return arg === 'yesterday' ? periodContaining(now - 86_400_000).id : arg;
}

async function refusing(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AccountingError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

export function verifyInputsFile(file: string, holder: string | undefined): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`period verify ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const r = closePeriod(parseInputsDoc(text, file));
    const i = holder ? r.payouts.holders.indexOf(holder) : -1;
    const payout = i >= 0 ? r.payouts.at(i) : undefined;
    print({
      periodId: r.summary.periodId,
      // Hash of the file as downloaded; equal to the statement's inputsSha256 when untouched.
      fileSha256: sha256Hex(text),
      inputsSha256: r.inputsSha256,
      outputsSha256: r.outputsSha256,
      ...(holder
        ? { holder, payoutSats: payout?.sats ?? null, stakeUnitsSeconds: payout?.weight ?? null }
        : {}),
    });
    return 0;
  } catch (e) {
    process.stderr.write(`period verify ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}

/** `period verify <inputs.json> [holder]`: no database, no key, no config. */
export async function periodVerifyCli(args: string[]): Promise<number> {
  const pos = positionals(args, PERIOD_USAGE);
  if (!pos) return 2;
  const [file, holder, ...extra] = pos;
  if (!file || extra.length) {
    process.stderr.write('usage: hashfleet-controller period verify <inputs.json> [holder]\n');
    return 2;
  }
  return verifyInputsFile(file, holder);
}

const parsePeriodArgs = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { override: { type: 'string' }, reason: { type: 'string' } },
  });

export async function periodCli(args: string[], ctx: FeatureContext): Promise<number> {
  if (args[0] === 'verify') return periodVerifyCli(args.slice(1));
  let parsed: ReturnType<typeof parsePeriodArgs>;
  try {
    parsed = parsePeriodArgs(args);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${PERIOD_USAGE}`);
    return 2;
  }
  const { positionals: pos, values } = parsed;
  const [verb, raw, ...extra] = pos;
  const id = periodArg(raw, ctx.now());
  const verbs = ['close', 'completeness', 'waive', 'recompute', 'show'];
  const misplaced =
    (values.override !== undefined && verb !== 'close') ||
    (values.reason !== undefined) !== (verb === 'waive');
  if (!id || extra.length || !verbs.includes(verb ?? '') || misplaced) {
    process.stderr.write(PERIOD_USAGE);
    return 2;
  }
  const deps = { db: ctx.db, audit: ctx.audit, influx: ctx.influx, now: ctx.now };
  return refusing(async () => {
    if (verb === 'close') {
      print(await closeAndPublish(deps, id, cliActor(), { override: values.override }));
      return 0;
    }
    if (verb === 'completeness') {
      const r = await periodReadiness(ctx.db, id, ctx.now());
      print(r);
      return 0;
    }
    if (verb === 'waive') {
      print(await waivePeriod(deps, id, values.reason!, cliActor()));
      return 0;
    }
    if (verb === 'recompute') {
      const r = await recomputeStored(ctx.db, id);
      print(r);
      return r.identical ? 0 : 3;
    }
    const close = await getClose(ctx.db, id);
    if (!close) throw new AccountingError(`period ${id}: not closed`);
    print({ ...close, reconciliation: await reconciliationOf(ctx.db, id) });
    return 0;
  });
}

export async function stakesCli(args: string[], ctx: FeatureContext): Promise<number> {
  const pos = positionals(args, STAKES_USAGE);
  if (!pos) return 2;
  const [verb, file, ...extra] = pos;
  if (verb !== 'import' || !file || extra.length) {
    process.stderr.write(STAKES_USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`stakes import ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const deps = { db: ctx.db, audit: ctx.audit, influx: ctx.influx, now: ctx.now };
  return refusing(async () => {
    print(await importStakes(deps, text, `csv:${file}`, cliActor()));
    return 0;
  });
}
