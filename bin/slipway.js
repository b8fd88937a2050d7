#!/usr/bin/env node
// The installed CLI runs the compiled JavaScript in dist/ (built by `npm run build`, which
// `npm ci` runs through the prepare script): no TypeScript loader in a long-lived daemon.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('slipway: dist/ is missing; run `npm run build` (or `npm ci`, which builds) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
