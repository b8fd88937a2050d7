// The bare mirror of one branch: fetch only what is new, never touch a work tree.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GitError } from '../errors.ts';
import { fetchPack, readAdvertisement } from './pack-fetch.ts';
import { maskUrl, readRemoteHead, toGitError, type RemoteSpec } from './remote.ts';

/**
 * Brings refs/heads/<branch> of the bare repo at gitdir up to the remote's, fetching that branch
 * only, without tags. `fetched` is false when the mirror already had the remote head.
 *
 * Not shallow: `fetch({depth: 1})` re-downloads a whole snapshot every time, and a full history
 * lets `trigger --commit` name any older commit. The pack is streamed to disk and indexed from
 * there (pack-fetch.ts), so even a first fetch of a big repo holds about its largest file, not
 * the pack, in memory.
 *
 * Callers must not run two fetchMirror calls on one gitdir at the same time.
 */
export async function fetchMirror(opts: { remote: RemoteSpec; gitdir: string }): Promise<{ head: string; fetched: boolean }> {
  const { remote, gitdir } = opts;
  await ensureBareRepo(gitdir, remote.branch);
  const ref = `refs/heads/${remote.branch}`;
  // One cheap request first (protocol v2, filtered by prefix): an unchanged remote costs no
  // full ref advertisement, no negotiation and no pack.
  const remoteHead = await readRemoteHead(remote);
  const localHead = await readLocalRef(gitdir, ref);
  if (localHead === remoteHead) return { head: remoteHead, fetched: false };

  let head: string;
  try {
    const advertised = await readAdvertisement(remote);
    // The tip as the upload-pack we talk to sees it (it may have moved since the first request).
    const tip = advertised.refs.get(ref);
    if (!tip) throw new GitError(`branch "${remote.branch}" not found in ${maskUrl(remote.url)}`);
    head = tip;
    if (head !== localHead) {
      await fetchPack({ remote, gitdir, want: head, caps: advertised.caps, ...(localHead ? { have: localHead } : {}) });
    }
  } catch (err) {
    throw toGitError(err, remote, 'cannot fetch from');
  }
  // Only now is the pack and its index in place. Forced: an upstream force-push must move it too.
  await writeLocalRef(gitdir, ref, head);
  return { head, fetched: head !== localHead };
}

/** A bare repository as `git init --bare` makes it, written directly (no library needed). */
async function ensureBareRepo(gitdir: string, branch: string): Promise<void> {
  const exists = await stat(join(gitdir, 'HEAD')).then(
    () => true,
    () => false,
  );
  if (exists) return;
  // Private repositories stay private on this machine too (STATE/git is 0700).
  await mkdir(gitdir, { recursive: true, mode: 0o700 });
  for (const dir of ['objects/pack', 'objects/info', 'refs/heads', 'refs/tags']) await mkdir(join(gitdir, dir), { recursive: true });
  await writeFile(join(gitdir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n');
  // HEAD last: it is what tells an existing repository from a half-made one.
  await writeFile(join(gitdir, 'HEAD'), `ref: refs/heads/${branch}\n`);
}

/** The sha a ref names: its loose file, else its line in packed-refs. */
export async function readLocalRef(gitdir: string, ref: string): Promise<string | undefined> {
  const loose = await readFile(join(gitdir, ref), 'utf8').catch(() => undefined);
  if (loose !== undefined && /^[0-9a-f]{40}\s*$/.test(loose)) return loose.trim();
  const packed = await readFile(join(gitdir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [oid, name] = line.split(' ');
    if (name === ref && oid && /^[0-9a-f]{40}$/.test(oid)) return oid;
  }
  return undefined;
}

async function writeLocalRef(gitdir: string, ref: string, sha: string): Promise<void> {
  const path = join(gitdir, ref);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.lock`;
  try {
    await writeFile(tmp, `${sha}\n`, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    throw new GitError(`cannot move ${ref} in ${gitdir}: ${(err as Error).message}`, { cause: err });
  }
}
