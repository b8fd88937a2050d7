// The observer's records in STATE/hosts/HOST.json (`sync`, per deploy path). Deploys write the
// same file (its `paths`), so every change here is a read-modify-write inside the file's write
// queue: a deploy's write can never fall between this read and this write and be lost.
import { updateJsonAtomic } from './atomic.ts';
import { displayPath, statePaths } from './paths.ts';
import { checkStateValue } from './schemas.ts';
import { readHostState } from './store.ts';
import type { HostSync } from './types.ts';

/** `fn` gets the path's record (or none) and returns the new one; undefined writes nothing. */
export async function updateHostSync(stateDir: string, host: string, path: string, fn: (prev: HostSync | undefined) => HostSync | undefined): Promise<HostSync | undefined> {
  const file = statePaths(stateDir).hostFile(host);
  let written: HostSync | undefined;
  await updateJsonAtomic(file, async () => {
    const hs = await readHostState(stateDir, host);
    const next = fn(hs.sync?.[path]);
    if (next === undefined) return undefined;
    const value = { ...hs, sync: { ...hs.sync, [path]: next } };
    checkStateValue('host', `refusing to write ${displayPath(file)}`, value);
    written = next;
    return value;
  });
  return written;
}

/** "self-heal stopped after 2 failed heals: REASONS", or undefined. */
export function healStoppedLine(sync: HostSync | undefined): string | undefined {
  if (!sync?.heal?.stopped) return undefined;
  return `self-heal stopped after ${sync.heal.failures} failed heals: ${sync.heal.reasons.join('; ')}`;
}
