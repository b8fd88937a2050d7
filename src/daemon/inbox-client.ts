// The client side of STATE/inbox: a command that finds `slipway run` holding the state lock hands
// its request over instead of failing on the lock. Used by `trigger` and `approve`.
import { readLockHolder, type LockInfo } from '../state/lock.ts';
import { writeInboxRequest, type InboxRequest } from '../state/inbox.ts';

/** Writes the request into the inbox when a daemon runs; undefined (nothing written) when none does. */
export async function handToDaemon(stateDir: string, request: Omit<InboxRequest, 'version' | 'createdAt'>): Promise<LockInfo | undefined> {
  const holder = await readLockHolder(stateDir);
  if (!holder || holder.command !== 'run') return undefined;
  await writeInboxRequest(stateDir, request);
  return holder;
}
