import { loadConfig, describeConfig } from '../config/load.ts';
import { detectSandbox } from '../exec/sandbox-runner.ts';
import type { Output } from '../wiring/output.ts';

export async function validateCommand(configDir: string, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  output.out(describeConfig(config));
  // Which sandbox the test commands get on this machine: unisolated is a warning, never silent.
  const sandbox = detectSandbox(config.settings.sandbox);
  if (sandbox.problem) output.err(`warning: ${sandbox.problem}`);
  else if (sandbox.warning) output.err(`warning: ${sandbox.warning}`);
  else output.out(sandbox.describe);
  return 0;
}
