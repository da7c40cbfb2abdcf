import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Argument parsing for the controller CLIs with `node:util` parseArgs (issue 14 item 6): strict,
 * so an unknown option or one without its value is refused with parseArgs' own message naming it.
 */

/** `--config <file>` or `--config=<file>` anywhere in argv, and the arguments without it. */
export function takeConfig(argv: string[]): { configFile?: string; rest: string[] } {
  // Not strict: the command's own options are parsed by the command; only --config is taken here.
  const { tokens } = parseArgs({
    args: argv,
    options: { config: { type: 'string' } },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  let configFile: string | undefined;
  const drop = new Set<number>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name !== 'config') continue;
    configFile = t.value;
    drop.add(t.index);
    if (!t.inlineValue) drop.add(t.index + 1);
  }
  return { configFile, rest: argv.filter((_, i) => !drop.has(i)) };
}

/** A command's options and positionals; on bad usage, the message (naming the option) instead. */
export function commandArgs<O extends Options>(
  args: string[],
  options: O,
):
  | { values: Record<keyof O, string | string[] | boolean | undefined>; positionals: string[] }
  | { error: string } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return {
      values: r.values as unknown as Record<keyof O, string | string[] | boolean | undefined>,
      positionals: r.positionals,
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
