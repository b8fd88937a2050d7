// A config process's task (forked by config-process.ts, entered through run-child.ts): load and
// validate the config as config-source.ts does, and answer with plain data. yaml, ajv's
// compiled config schema and the parsed documents go when this process exits.
import { ConfigError, SlipwayError } from '../errors.ts';
import { applyConfigCommit, loadLastConfigRepo, loadLocalConfig } from './config-source.ts';
import type { ConfigRequest, FromChild } from './run-protocol.ts';

export async function loadConfigTask(request: ConfigRequest): Promise<Extract<FromChild, { type: 'config' }>> {
  try {
    const result = request.op === 'local' ? await loadLocalConfig(request.dir) : request.op === 'apply' ? await applyConfigCommit(request.local, request.commit) : await loadLastConfigRepo(request.local);
    return { type: 'config', result };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { type: 'config', error: { message, ours: e instanceof SlipwayError, ...(e instanceof ConfigError ? { issues: e.issues } : {}) } };
  }
}
