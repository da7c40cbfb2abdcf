import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadAgentConfig } from '@hashfleet/agent/config';
import { agentConfigSchema } from '@hashfleet/agent/config-schema';
import { ControllerConfigSchema, loadControllerConfig } from '@hashfleet/controller/core/config';
import { afterAll, describe, expect, it } from 'vitest';
import YAML, { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/**
 * The example configs document every option (docs/style.md §9): each key the agent's and the
 * controller's zod schemas accept appears in deploy/agent/agent.example.yaml and
 * deploy/controller.example.yaml, set or as a commented-out line, with a description on its line
 * or the comment line above it; and each example, with its commented-out options switched on too,
 * loads with the real loader.
 */

const deploy = join(import.meta.dirname, '..');
const temp = mkdtempSync(join(tmpdir(), 'hashfleet-examples-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

type ZodLike = { _zod: { def: Record<string, unknown> & { type: string } } };

/**
 * Every key path a schema accepts: objects by key, arrays by element, discriminated unions by every
 * option, records by their value under `*` (the keys are the user's, e.g. a firmware profile id).
 */
function schemaPaths(schema: ZodLike, prefix = ''): string[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return schemaPaths(def.innerType as ZodLike, prefix);
    case 'array':
      return schemaPaths(def.element as ZodLike, prefix);
    case 'record':
      return schemaPaths(def.valueType as ZodLike, `${prefix}*.`);
    case 'union':
      // A discriminated union's options are alternative shapes whose keys all need documenting;
      // a plain union is one value written one of several ways ({ file } | { env }): a leaf.
      return def.discriminator
        ? [...new Set((def.options as ZodLike[]).flatMap((o) => schemaPaths(o, prefix)))]
        : [];
    case 'object':
      return Object.entries(def.shape as Record<string, ZodLike>).flatMap(([key, value]) => [
        `${prefix}${key}`,
        ...schemaPaths(value, `${prefix}${key}.`),
      ]);
    default:
      return [];
  }
}

/** A commented-out option: `# key: value` or `# - key: value` at the indentation it would have. */
const OPTION_LINE = /^(\s*)# (\s*(?:- )?[A-Za-z][A-Za-z0-9]*:(?: |$).*)$/;
const isComment = (line: string | undefined) => line !== undefined && /^\s*#/.test(line);
const hasTrailingComment = (line: string) => /\S\s+#\s/.test(line.replace(/"[^"]*"|'[^']*'/g, '""'));

/** The example with its commented-out options switched on (same line numbers). */
function uncommented(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(OPTION_LINE, '$1$2'))
    .join('\n');
}

/**
 * Key paths of a YAML text with, for each, whether it is described: a comment on its own line,
 * or a prose comment line right above (not another commented-out option), or, inside a flow
 * collection on one line, its parent described.
 */
function documentedPaths(text: string): Map<string, boolean> {
  const original = text.split('\n');
  const switchedOn = uncommented(text);
  const lineOf = (offset: number) => switchedOn.slice(0, offset).split('\n').length - 1;
  const described = (line: number) =>
    hasTrailingComment(original[line]!) ||
    (isComment(original[line - 1]) && !OPTION_LINE.test(original[line - 1]!));
  const out = new Map<string, boolean>();
  const walk = (node: Node | null | undefined, prefix: string, parentDescribed: boolean) => {
    if (isSeq(node)) for (const item of node.items) walk(item as Node, prefix, parentDescribed);
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const path = `${prefix}${String(pair.key.value)}`;
      const ok = described(lineOf(pair.key.range![0])) || (node.flow === true && parentDescribed);
      out.set(path, (out.get(path) ?? false) || ok);
      walk(pair.value as Node, `${path}.`, ok);
    }
  };
  const doc = YAML.parseDocument(switchedOn);
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  walk(doc.contents as Node, '', false);
  return out;
}

/** Whether a YAML key path is the schema path `wanted`, whose `*` segments stand for any record key. */
function matches(wanted: string, path: string): boolean {
  const w = wanted.split('.');
  const p = path.split('.');
  return w.length === p.length && w.every((seg, i) => seg === '*' || seg === p[i]);
}

function coverage(text: string, schema: ZodLike) {
  const paths = documentedPaths(text);
  const wanted = schemaPaths(schema);
  const found = (w: string) => [...paths].filter(([p]) => matches(w, p));
  return {
    missing: wanted.filter((w) => found(w).length === 0),
    undescribed: wanted.filter((w) => found(w).some(([, ok]) => !ok)),
    // Below a schema leaf ({ file } | { env }, a key reference, or a record's own keys) the loader
    // test checks the shape.
    unknown: [...paths.keys()].filter(
      (p) => !wanted.some((w) => matches(w, p) || matches(w, p.slice(0, p.lastIndexOf('.')))),
    ),
  };
}

/** Creates the secret files a config names ({ file: relative path }) under `dir`, and its env secrets. */
function provideSecrets(value: unknown, dir: string, env: string[]): void {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'file' && typeof v === 'string' && !v.startsWith('/')) {
      mkdirSync(dirname(join(dir, v)), { recursive: true });
      writeFileSync(join(dir, v), 'example-secret\n');
    } else if (k === 'env' && typeof v === 'string') env.push(v);
    else provideSecrets(v, dir, env);
  }
}

function loadAgentExample(text: string) {
  const dir = mkdtempSync(join(temp, 'agent-'));
  const env: string[] = [];
  provideSecrets(YAML.parse(text), dir, env);
  writeFileSync(join(dir, 'agent.yaml'), text);
  for (const name of env) process.env[name] = 'example-secret';
  try {
    return loadAgentConfig(join(dir, 'agent.yaml'));
  } finally {
    for (const name of env) delete process.env[name];
  }
}

describe('deploy/agent/agent.example.yaml', () => {
  const text = readFileSync(join(deploy, 'agent/agent.example.yaml'), 'utf8');
  const schema = agentConfigSchema('/') as unknown as ZodLike;

  it("names every option of the agent's schema, each with a description, and nothing else", () => {
    expect(coverage(text, schema)).toEqual({ missing: [], undescribed: [], unknown: [] });
  });

  it("loads with the agent's own loader, as shipped and with every commented-out option switched on", () => {
    const shipped = loadAgentExample(text);
    expect(shipped.agentId).toBe('sc-c01');
    const all = loadAgentExample(uncommented(text));
    expect(all.pdus.map((p) => p.snmp.version).sort()).toEqual(['2c', '3']);
    expect(all.commands.publicKeys.length).toBeGreaterThan(0);
  });

  it('notices an option left out and an option without a description', () => {
    expect(coverage(text.replace(/^.*jitterMs:.*\n/m, ''), schema).missing).toEqual(['polling.jitterMs']);
    const bare = text.replace(/^(\s*concurrency: \d+)\s+#.*$/m, '$1');
    expect(bare).not.toBe(text);
    expect(coverage(bare, schema).undescribed).toEqual(['polling.concurrency']);
    expect(schemaPaths(schema)).toEqual(
      expect.arrayContaining([
        'pdus.snmp.community',
        'pdus.snmp.privKey',
        'credentials.byProfile.*.rpc.user',
      ]),
    );
  });
});

describe('deploy/controller.example.yaml', () => {
  const text = readFileSync(join(deploy, 'controller.example.yaml'), 'utf8');

  it("names every option of the controller's schema, each with a description, and nothing else", () => {
    expect(coverage(text, ControllerConfigSchema as unknown as ZodLike)).toEqual({
      missing: [],
      undescribed: [],
      unknown: [],
    });
  });

  it("loads with the controller's own loader, as shipped and with every commented-out option switched on", () => {
    const shipped = loadControllerConfig(join(deploy, 'controller.example.yaml'), {});
    expect(shipped.storage.url).toMatch(/^postgres:\/\//);
    const file = join(temp, 'controller.yaml');
    writeFileSync(file, uncommented(text));
    expect(loadControllerConfig(file, {}).mqtt.url).toBe(shipped.mqtt.url);
  });
});
