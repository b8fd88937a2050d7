import { loadConfig } from '../config/load.ts';
import { acquireStateLock } from '../state/lock.ts';
import { statePaths } from '../state/store.ts';
import { reportConfigOf, updateReport } from '../report/index.ts';

import { join } from 'node:path';
import type { Output } from './output.ts';

export async function reportCommand(configDir: string, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  const lock = await acquireStateLock(config.settings.stateDir, { command: 'report' });
  try {
    await updateReport(config.settings.stateDir, reportConfigOf(config), { full: true });
  } finally {
    await lock.release();
  }
  output.out(`report written: ${join(statePaths(config.settings.stateDir).www, 'index.html')}`);
  return 0;
}
