import { loadConfig, describeConfig } from '../config/load.ts';
import type { Output } from './output.ts';

export async function validateCommand(configDir: string, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  output.out(describeConfig(config));
  return 0;
}
