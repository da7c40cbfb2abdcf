#!/usr/bin/env node
// Entry point: `hashfleet-controller <command>` (see controller/README.md).
// tsx is registered from this file rather than with `node --import tsx`, which resolves tsx from
// the current folder and so failed anywhere outside the checkout.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/core/cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
