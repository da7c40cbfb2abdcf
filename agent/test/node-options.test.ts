import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { AGENT_NODE_OPTIONS } from '../src/heap.js';

const unit = readFileSync(join(import.meta.dirname, '../../deploy/agent/hashfleet-agent.service'), 'utf8');

/** The young generation's size (MB) of a Node process that churns short-lived objects. */
function newSpaceMb(nodeOptions: string | undefined): number {
  const script = `
    const v8 = require('node:v8');
    let keep = [];
    for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 1000) keep = []; }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 1048576));
  `;
  const { NODE_OPTIONS: _outer, ...env } = process.env;
  const r = spawnSync(process.execPath, ['-e', script], {
    env: nodeOptions === undefined ? env : { ...env, NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout);
}

test('the systemd unit starts the agent with AGENT_NODE_OPTIONS, and they cap the young generation', () => {
  const line = /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit);
  expect(line?.[1]).toBe(AGENT_NODE_OPTIONS.join(' '));
  const capped = newSpaceMb(line![1]);
  expect(capped).toBeLessThanOrEqual(8);
  expect(newSpaceMb(undefined)).toBeGreaterThan(capped);
});
