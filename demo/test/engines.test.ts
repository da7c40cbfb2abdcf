import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * The Node range the project promises (root package.json `engines`) is one every installed
 * package accepts: a dependency that needs a newer Node (cookie 2 through fastify wanted Node 22
 * while the project said 20.19) fails here instead of as an EBADENGINE warning in `npm ci`, or a
 * crash on the older Node. Every workspace promises the same range.
 */
const root = join(import.meta.dirname, '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));
const manifest = readJson('package.json') as { engines: { node: string }; workspaces: string[] };
const promised = manifest.engines.node;

describe(`the promised Node range ${promised}`, () => {
  it('is accepted by every package in package-lock.json', () => {
    const lock = readJson('package-lock.json') as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing: string[] = [];
    for (const [location, pkg] of Object.entries(lock.packages)) {
      // Some old packages list engines as an array of strings; npm ignores those.
      const wanted = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (!location || !wanted) continue;
      if (!semver.subset(promised, wanted)) refusing.push(`${location}@${pkg.version}: node ${wanted}`);
    }
    expect(refusing).toEqual([]);
  });

  it('is the range of every workspace', () => {
    const ranges = manifest.workspaces.map((w) => `${w}: ${readJson(`${w}/package.json`).engines?.node}`);
    expect(ranges).toEqual(manifest.workspaces.map((w) => `${w}: ${promised}`));
  });
});
