import type { Output } from './output.ts';

export const demoHelp = `usage: slipway demo [--keep]

The whole loop on this machine: an embedded git server and embedded SSH hosts on
127.0.0.1, a sample app, test, deploy to staging and production, a broken commit
rolled back, and the report.`;

export async function demoCommand(_opts: { keep: boolean }, output: Output): Promise<number> {
  output.err('demo: not ready yet');
  return 1;
}
