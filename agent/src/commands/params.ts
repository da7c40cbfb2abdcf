import type { CommandAction } from '@hashfleet/contracts';

/** Values a control operation's `{placeholders}` take from the command. */
export function actionParams(action: CommandAction): Record<string, string | number | boolean> {
  switch (action.op) {
    case 'pool.set':
      return { url: action.url, user: action.user, password: action.password };
    case 'power.target':
      return { watts: action.watts };
    case 'power.mode':
      return { mode: action.mode };
    case 'led':
      // The profiles' placeholders (firmware-profiles types.ts): {ledOn} is 1/0 (Avalon ascset), {ledOnBool} true/false (Antminer CGI).
      return { on: action.on, ledOn: action.on ? 1 : 0, ledOnBool: action.on };
    default:
      return {};
  }
}

/**
 * Fills placeholders in a request description. A string that is exactly `{name}` takes the value
 * with its type (a number stays a number); inside a longer string the value is interpolated.
 * An unknown placeholder is an error rather than a literal `{name}` sent to a miner.
 */
export function fillParams<T>(value: T, params: Record<string, string | number | boolean>): T {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\{(\w+)\}$/.exec(v);
      if (whole) return lookup(whole[1]!);
      return v.replace(/\{(\w+)\}/g, (_, name: string) => String(lookup(name)));
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    }
    return v;
  };
  const lookup = (name: string) => {
    if (!(name in params))
      throw new Error(`operation needs parameter {${name}} that this command does not carry`);
    return params[name]!;
  };
  return fill(value) as T;
}
