#!/usr/bin/env node
// Entry point: `hashfleet-controller <command>` (see controller/README.md).
// tsx is registered from this file rather than with `node --import tsx`, which resolves tsx from
// the current folder and so failed anywhere outside the checkout.
// `period verify` promises to write nothing, so it also skips tsx's compile cache (in the temp dir).
if (process.argv[2] === 'period' && process.argv[3] === 'verify') process.env.TSX_DISABLE_CACHE = '1';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/core/cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
