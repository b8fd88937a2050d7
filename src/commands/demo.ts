import type { Output } from './output.ts';

export async function demoCommand(_opts: { keep: boolean }, output: Output): Promise<number> {
  output.err('demo: not ready yet');
  return 1;
}
