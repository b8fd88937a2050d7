// The daemon's config loads, each in a short-lived process (config-child.ts). Measured: importing
// yaml costs a Node process ~10 MB of RSS and the config schema's ajv compile more
// (docs/benchmarks.md); a daemon loads its config at start and on reload only, so it keeps none
// of that. The answer is the resolved Config as plain data, or the same error the load threw
// in-process: a ConfigError with the same located issues (so the same message), our other
// errors with the same message.
import { fork } from 'node:child_process';
import type { Config } from '../config/types.ts';
import { ConfigError, SlipwayError } from '../errors.ts';
import type { LoadedConfig } from './config-repo.ts';
import type { ConfigRequest, FromChild } from './run-protocol.ts';
import { deathOf } from './run-protocol.ts';
import { childEntry } from './run-process.ts';

/** The local config folder, checked as `validate` does and a little further (config-source.ts). */
export function loadLocalConfig(dir: string): Promise<Config> {
  return loadInProcess({ op: 'local', dir }) as Promise<Config>;
}

/** A config repo commit made the running config (config-source.ts's applyConfigCommit). */
export function applyConfigCommit(local: Config, commit: string): Promise<LoadedConfig> {
  return loadInProcess({ op: 'apply', local, commit }) as Promise<LoadedConfig>;
}

/** The last good config repo files, if any. */
export function loadLastConfigRepo(local: Config): Promise<LoadedConfig | undefined> {
  return loadInProcess({ op: 'last', local }) as Promise<LoadedConfig | undefined>;
}

function loadInProcess(request: ConfigRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // stdout is never written; what Node itself prints on stderr goes where the daemon's goes.
    const child = fork(childEntry, ['config'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    let answer: Extract<FromChild, { type: 'config' }> | undefined;
    let crash: string | undefined;
    child.on('message', (m: FromChild) => {
      if (m.type === 'config') answer = m;
      else if (m.type === 'crash') crash = m.message;
    });
    child.once('error', (e) => reject(new SlipwayError(`the config could not be loaded: ${e.message}`)));
    child.once('exit', (code, signal) => {
      if (!answer) return reject(new SlipwayError(`the config could not be loaded: ${deathOf({ code, signal, ...(crash !== undefined ? { crash } : {}) }).replace("the run's process", 'its process')}`));
      const { error } = answer;
      if (!error) return resolve(answer.result);
      reject(error.issues ? new ConfigError(error.issues) : error.ours ? new SlipwayError(error.message) : new Error(error.message));
    });
    child.send({ type: 'load', request }, (e) => void e);
  });
}
