// Reading commits out of the mirror.
import * as fs from 'node:fs';
import { expandOid, readCommit } from 'isomorphic-git';
import { GitError } from '../errors.ts';
import type { CommitInfo } from '../state/types.ts';
import { readingMirror } from './mirror-lease.ts';

const SHA_PREFIX = /^[0-9a-f]{4,40}$/;

/** The full sha of a commit named by its sha or an unambiguous prefix of at least 4 digits. */
export function resolveCommit(gitdir: string, shaOrPrefix: string): Promise<string> {
  return readingMirror(gitdir, () => resolveCommitNow(gitdir, shaOrPrefix));
}

async function resolveCommitNow(gitdir: string, shaOrPrefix: string): Promise<string> {
  const wanted = shaOrPrefix.trim().toLowerCase();
  if (!SHA_PREFIX.test(wanted)) {
    throw new GitError(`"${shaOrPrefix}" is not a commit id (4 to 40 hex digits)`);
  }
  let oid: string;
  try {
    oid = wanted.length === 40 ? wanted : await expandOid({ fs, gitdir, oid: wanted });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'AmbiguousError') throw new GitError(`commit id "${wanted}" is ambiguous: give more digits`, { cause: err });
    throw new GitError(`commit ${wanted} not found in the mirror ${gitdir}`, { cause: err });
  }
  // Proves the object exists and is a commit (not a tree or blob with that id).
  await readCommitInfoNow(gitdir, oid);
  return oid;
}

/** Id, whole message, author and author time of a commit in the mirror. */
export function readCommitInfo(gitdir: string, sha: string): Promise<CommitInfo> {
  return readingMirror(gitdir, () => readCommitInfoNow(gitdir, sha));
}

async function readCommitInfoNow(gitdir: string, sha: string): Promise<CommitInfo> {
  try {
    const { oid, commit } = await readCommit({ fs, gitdir, oid: sha });
    return {
      id: oid,
      message: commit.message,
      author: { name: commit.author.name, email: commit.author.email },
      time: new Date(commit.author.timestamp * 1000).toISOString(),
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ObjectTypeError') throw new GitError(`${sha} is not a commit`, { cause: err });
    throw new GitError(`commit ${sha} not found in the mirror ${gitdir}`, { cause: err });
  }
}
