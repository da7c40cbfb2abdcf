#!/usr/bin/env -S node --import tsx
// Entry point: `hashfleet-controller <command>` (see controller/README.md).
import { main } from '../src/core/cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
