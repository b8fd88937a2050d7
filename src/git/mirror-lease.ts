// Who reads a mirror's packs right now, so that compaction never deletes a pack under a checkout.
// Adding packs (a fetch, a compaction's new pack) never disturbs a reader: both old and new packs
// hold the objects. Only removing them does, and that waits here until the last reader is done.
//
// One registry per process on purpose: what it guards is a folder on disk that every part of the
// process shares, and only the process holding STATE/lock touches the mirrors of a state folder.
import { resolve } from 'node:path';

interface Lease {
  readers: number;
  /** Removal of superseded packs, run when the last reader leaves. */
  pending: Array<() => Promise<void>>;
  /** Set while a removal runs: new readers wait for it. */
  removing?: Promise<void>;
}

const leases = new Map<string, Lease>();

function leaseOf(gitdir: string): Lease {
  const key = resolve(gitdir);
  let lease = leases.get(key);
  if (!lease) {
    lease = { readers: 0, pending: [] };
    leases.set(key, lease);
  }
  return lease;
}

/** Runs `read` with the mirror's packs guaranteed to stay in place. */
export async function readingMirror<T>(gitdir: string, read: () => Promise<T>): Promise<T> {
  const lease = leaseOf(gitdir);
  while (lease.removing) await lease.removing;
  lease.readers++;
  try {
    return await read();
  } finally {
    lease.readers--;
    if (lease.readers === 0) void runPending(lease);
  }
}

/** Runs `remove` now when nobody reads the mirror, else as soon as the last reader is done. */
export async function removeWhenUnread(gitdir: string, remove: () => Promise<void>): Promise<'now' | 'deferred'> {
  const lease = leaseOf(gitdir);
  lease.pending.push(remove);
  if (lease.readers > 0) return 'deferred';
  await runPending(lease);
  return 'now';
}

async function runPending(lease: Lease): Promise<void> {
  while (lease.removing) await lease.removing;
  if (lease.readers > 0 || lease.pending.length === 0) return;
  const jobs = lease.pending.splice(0);
  // Removal only deletes files other packs already duplicate: a failure leaves extra disk use,
  // never a broken mirror, so it is not an error anyone must handle.
  lease.removing = (async () => {
    for (const job of jobs) await job().catch(() => {});
  })();
  try {
    await lease.removing;
  } finally {
    delete lease.removing;
  }
}
