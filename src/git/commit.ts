// Reading commits out of the mirror.
import { GitError } from '../errors.ts';
import type { CommitInfo } from '../state/types.ts';
import { readingMirror } from './mirror-lease.ts';
import { openObjects, type ObjectStore } from './objects.ts';

const SHA_PREFIX = /^[0-9a-f]{4,40}$/;

/** The full sha of a commit named by its sha or an unambiguous prefix of at least 4 digits. */
export function resolveCommit(gitdir: string, shaOrPrefix: string): Promise<string> {
  const wanted = shaOrPrefix.trim().toLowerCase();
  if (!SHA_PREFIX.test(wanted)) {
    return Promise.reject(new GitError(`"${shaOrPrefix}" is not a commit id (4 to 40 hex digits)`));
  }
  return withStore(gitdir, async (store) => {
    const found = wanted.length === 40 ? [wanted] : await store.expand(wanted);
    if (found.length > 1) throw new GitError(`commit id "${wanted}" is ambiguous: give more digits`);
    if (found.length === 0) throw new GitError(`commit ${wanted} not found in the mirror ${gitdir}`);
    // Proves the object exists and is a commit (not a tree or blob with that id).
    await readInfo(store, gitdir, found[0]!);
    return found[0]!;
  });
}

/** Id, whole message, author and author time of a commit in the mirror. */
export function readCommitInfo(gitdir: string, sha: string): Promise<CommitInfo> {
  return withStore(gitdir, (store) => readInfo(store, gitdir, sha));
}

function withStore<T>(gitdir: string, use: (store: ObjectStore) => Promise<T>): Promise<T> {
  // Compaction must not remove a pack while this reads it.
  return readingMirror(gitdir, async () => {
    const store = await openObjects(gitdir);
    try {
      return await use(store);
    } finally {
      store.close();
    }
  });
}

async function readInfo(store: ObjectStore, gitdir: string, sha: string): Promise<CommitInfo> {
  let object;
  try {
    object = await store.read(sha);
  } catch (err) {
    throw new GitError(`commit ${sha} not found in the mirror ${gitdir}`, { cause: err });
  }
  if (object.type !== 'commit') throw new GitError(`${sha} is not a commit`);
  return parseCommit(sha, object.data);
}

/**
 * A commit object: header lines (continuation lines, as in a gpgsig, start with a space), a
 * blank line, then the message exactly as stored. Author: "NAME <EMAIL> SECONDS ZONE".
 */
export function parseCommit(sha: string, data: Buffer): CommitInfo {
  const text = data.toString('utf8');
  const blank = text.indexOf('\n\n');
  const headers = blank < 0 ? text : text.slice(0, blank);
  const message = blank < 0 ? '' : text.slice(blank + 2);
  const authorLine = headers.split('\n').find((line) => line.startsWith('author '));
  const author = authorLine ? /^author (.*?) ?<([^>]*)> (\d+) [+-]\d{4}$/.exec(authorLine) : null;
  if (!author) throw new GitError(`commit ${sha} has no readable author`);
  return {
    id: sha,
    message,
    author: { name: author[1]!, email: author[2]! },
    time: new Date(Number(author[3]) * 1000).toISOString(),
  };
}

/**
 * Whether `sha` is `head` or one of its ancestors, walking parents in the mirror (at most
 * `limit` commits: a commit further back than that is treated as not on the branch).
 */
export function isAncestor(gitdir: string, sha: string, head: string, limit = 100_000): Promise<boolean> {
  return withStore(gitdir, async (store) => {
    const seen = new Set<string>();
    const todo = [head];
    while (todo.length > 0 && seen.size < limit) {
      const oid = todo.pop()!;
      if (oid === sha) return true;
      if (seen.has(oid)) continue;
      seen.add(oid);
      const object = await store.read(oid).catch(() => undefined);
      if (object?.type !== 'commit') continue;
      const text = object.data.toString('utf8');
      const headers = text.slice(0, Math.max(0, text.indexOf('\n\n')));
      for (const line of headers.split('\n')) if (line.startsWith('parent ')) todo.push(line.slice(7).trim());
    }
    return false;
  });
}
