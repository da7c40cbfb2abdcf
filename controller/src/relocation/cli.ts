import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Principal } from '../core/auth/roles.js';
import { commandArgs } from '../core/cli/args.js';
import type { FeatureContext } from '../core/feature.js';
import { type Assumptions, inputFromInventory } from './inventory-input.js';
import { parsePlannerInput } from './schema.js';
import {
  advanceMove,
  approvePlan,
  comparePlans,
  listMoves,
  listPlans,
  proposePlan,
  RelocationError,
} from './service.js';
import { loadSolver } from './solver.js';
import { MOVE_STATES, type MoveState } from './workflow.js';

/**
 * `hashfleet-controller relocation propose|plans|compare|approve|advance|moves ...`: parse the
 * arguments, call the service, print JSON. Exit codes: 0 done, 1 refused (message on stderr), 2 usage.
 */
const USAGE = `usage: hashfleet-controller relocation
  propose <name> <file.json>          file: the planner input (with "miners"), or assumptions for inventory
  plans
  compare <plan-a> <plan-b>
  approve <plan-id>                   not by the proposer
  advance <move-id> <state> [--slot <container/rack/slot>] [--serial <serial seen>]
  moves [state]
`;

const cliActor = (): Principal => ({
  tokenId: 'cli',
  role: 'admin',
  stakerId: null,
  name: `cli:${userInfo().username}`,
});
const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
/** Each verb's options (strict: anything else, or an option without its value, is refused). */
const ADVANCE_OPTIONS = { slot: { type: 'string' }, serial: { type: 'string' } } as const;
/** How many positionals each verb takes at most. */
const MAX_POSITIONALS: Record<string, number> = {
  propose: 2,
  plans: 0,
  compare: 2,
  approve: 1,
  advance: 2,
  moves: 1,
};
const isState = (s: string | undefined): s is MoveState => MOVE_STATES.includes(s as MoveState);

export async function relocationCli(args: string[], ctx: FeatureContext): Promise<number> {
  const [verb = '', ...rest] = args;
  const usage = (problem?: string) => {
    process.stderr.write(problem ? `relocation ${verb}: ${problem}\n${USAGE}` : USAGE);
    return 2;
  };
  const max = MAX_POSITIONALS[verb];
  if (max === undefined) return usage();
  const parsed = commandArgs(rest, verb === 'advance' ? ADVANCE_OPTIONS : {});
  if ('error' in parsed) return usage(parsed.error);
  const [a, b] = parsed.positionals;
  if (parsed.positionals.length > max) return usage(`unexpected argument '${parsed.positionals[max]}'`);
  const { slot, serial } = parsed.values as { slot?: string; serial?: string };
  const deps = { db: ctx.db, audit: ctx.audit, now: ctx.now, issueCommand: ctx.issueCommand };
  try {
    switch (verb) {
      case 'propose': {
        if (!a || !b) return usage();
        const raw = JSON.parse(readFileSync(b, 'utf8')) as Record<string, unknown>;
        const { input, assumed } = Array.isArray(raw.miners)
          ? { input: parsePlannerInput(raw), assumed: [] as string[] }
          : await inputFromInventory(ctx.db, raw as Assumptions);
        const proposed = await proposePlan(deps, await loadSolver(), cliActor(), a, input);
        print(proposed);
        for (const line of assumed)
          process.stderr.write(`relocation propose: ${line}
`);
        // A time-out is said on stderr too, so a script that only keeps the JSON still sees it.
        if (proposed.plan?.solver.timedOut)
          process.stderr.write(`relocation propose: ${proposed.plan.solver.status}\n`);
        return 0;
      }
      case 'plans':
        print(await listPlans(ctx.db));
        return 0;
      case 'compare':
        if (!a || !b) return usage();
        print(await comparePlans(ctx.db, a, b));
        return 0;
      case 'approve':
        if (!a) return usage();
        print(await approvePlan(deps, cliActor(), a));
        return 0;
      case 'advance':
        if (!a || !isState(b)) return usage();
        print(
          await advanceMove(deps, cliActor(), a, {
            to: b,
            slot,
            serialSeen: serial,
          }),
        );
        return 0;
      case 'moves':
        if (a !== undefined && !isState(a)) return usage();
        print(await listMoves(ctx.db, { state: a }));
        return 0;
      default:
        return usage();
    }
  } catch (e) {
    if (e instanceof RelocationError || (e instanceof Error && e.message.startsWith('relocation input:'))) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
