/**
 * `npm run bench [filter]`: runs every `<workspace>/bench/*.bench.ts` one after another in its own
 * process (so RSS and CPU figures are per benchmark) and lets each print its own figures.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const filter = process.argv[2] ?? '';
const workspaces = ['firmware-profiles', 'simulator', 'agent', 'controller', 'demo'];
const files = workspaces.flatMap((ws) => {
  try {
    return readdirSync(join(root, ws, 'bench'))
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => join(ws, 'bench', f));
  } catch {
    return [];
  }
});
const selected = files.filter((f) => f.includes(filter));
if (selected.length === 0) {
  console.error(`no benchmark matches "${filter}" (have: ${files.join(', ') || 'none'})`);
  process.exit(1);
}
let failed = 0;
for (const [i, file] of selected.entries()) {
  console.log(`\n[${i + 1}/${selected.length}] ${file}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    console.error(`${file}: exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
