import { loadConfig } from '../config/load.ts';
import { acquireStateLock } from '../state/lock.ts';
import { statePaths } from '../state/store.ts';
import { reportConfigOf, updateReport } from '../report/index.ts';

import { join } from 'node:path';
import type { Output } from '../wiring/output.ts';
import { handOver } from './handover.ts';

export async function reportCommand(configDir: string, output: Output): Promise<number> {
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  // The daemon owns the state folder while it runs: it rewrites the report itself.
  const handed = await handOver(config.settings.stateDir, { kind: 'report', pipeline: '', by: 'slipway report' }, output, { what: 'report rewrite', exitCode: () => 0 });
  if (handed !== undefined) return handed;
  // In this process the report is written here, masking what the config's secrets are: all of them.
  const full = await loadConfig(configDir);
  const lock = await acquireStateLock(config.settings.stateDir, { command: 'report' });
  try {
    await updateReport(full.settings.stateDir, reportConfigOf(full), { full: true });
  } finally {
    await lock.release();
  }
  output.out(`report written: ${join(statePaths(config.settings.stateDir).www, 'index.html')}`);
  return 0;
}
