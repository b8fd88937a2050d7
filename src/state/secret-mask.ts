// The one masking choke point of the state folder: every JSON value written under a state folder
// (run records, pipeline and host state, inbox requests, audit lines, whatever is added later)
// has every string masked here, on its way to the disk, instead of each writer masking the fields
// it remembers (a host's `error` once carried a step's raw command, token included).
//
// Secrets are registered per state folder by whoever loads a config for it (createRunContext).
// A process-wide table like the write queues of atomic.ts: the writers that must be covered
// (recovery, the inbox, a supersede) do not all carry a config, and a new writer is covered
// without remembering to be.
import { resolve, sep } from 'node:path';
import { maskSecrets } from '../exec/mask.ts';

const secretsByStateDir = new Map<string, readonly string[]>();

/** Mask these values in everything written below stateDir (added to the ones already known). */
export function setStateSecrets(stateDir: string, secrets: readonly string[]): void {
  const root = resolve(stateDir);
  const known = secretsByStateDir.get(root) ?? [];
  const merged = [...new Set([...known, ...secrets])];
  if (merged.length !== known.length) secretsByStateDir.set(root, merged);
}

function secretsFor(file: string): readonly string[] {
  const path = resolve(file);
  for (const [root, secrets] of secretsByStateDir) {
    if (path.startsWith(root + sep)) return secrets;
  }
  return [];
}

/** A copy of `value` with every string masked, keys included, for a file below a state folder. */
export function maskForState<T>(file: string, value: T): T {
  const secrets = secretsFor(file);
  return secrets.length === 0 ? value : (maskDeep(value, secrets) as T);
}

export function maskDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[maskSecrets(key, secrets)] = maskDeep(item, secrets);
    return out;
  }
  return value;
}
