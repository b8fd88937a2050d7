#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader (Node 20 cannot strip types by itself).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
