import { loadConfig, describeConfig } from '../config/load.ts';
import type { Output } from './output.ts';

export const validateHelp = `usage: slipway validate [--config DIR]

Checks the whole config folder: every file, every key, every cross-reference.
Prints "config OK: …" to stdout, or every problem at once to stderr as
FILE:LINE:COL: message, and exits 1.`;

export async function validateCommand(configDir: string, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  output.out(describeConfig(config));
  return 0;
}
