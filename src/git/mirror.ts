// The bare mirror of one branch: fetch only what is new, never touch a work tree.
import * as fs from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fetch, getConfig, init, resolveRef, setConfig, writeRef } from 'isomorphic-git';
import { GitError } from '../errors.ts';
import { authHeaders, httpClient, maskUrl, readRemoteHead, toGitError, type RemoteSpec } from './remote.ts';

/**
 * Brings refs/heads/<branch> of the bare repo at gitdir up to the remote's, fetching that branch
 * only, without tags. `fetched` is false when the mirror already had the remote head.
 *
 * Not shallow: `fetch({depth: 1})` re-downloads a whole snapshot every time, and a full history
 * lets `trigger --commit` name any older commit. The price is the first fetch of a big repo
 * (isomorphic-git holds about 5x the pack in memory while it indexes it).
 *
 * Callers must not run two fetchMirror calls on one gitdir at the same time.
 */
export async function fetchMirror(opts: { remote: RemoteSpec; gitdir: string }): Promise<{ head: string; fetched: boolean }> {
  const { remote, gitdir } = opts;
  await ensureBareRepo(gitdir, remote.branch);
  const ref = `refs/heads/${remote.branch}`;
  // One cheap request first: an unchanged remote costs no negotiation and no pack.
  const remoteHead = await readRemoteHead(remote);
  const localHead = await readLocalRef(gitdir, ref);
  if (localHead === remoteHead) return { head: remoteHead, fetched: false };

  let head: string | null;
  try {
    const result = await fetch({
      fs,
      http: httpClient,
      gitdir,
      url: remote.url,
      ref: remote.branch,
      remoteRef: ref,
      singleBranch: true,
      tags: false,
      headers: authHeaders(remote),
      cache: {},
    });
    head = result.fetchHead;
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') {
      throw new GitError(`branch "${remote.branch}" not found in ${maskUrl(remote.url)}`, { cause: err });
    }
    throw toGitError(err, remote, 'cannot fetch from');
  }
  if (!head) throw new GitError(`branch "${remote.branch}" not found in ${maskUrl(remote.url)}`);
  // Only now are the pack and its index written. Forced: an upstream force-push must move it too.
  await writeRef({ fs, gitdir, ref, value: head, force: true });
  return { head, fetched: head !== localHead };
}

async function ensureBareRepo(gitdir: string, branch: string): Promise<void> {
  const exists = await stat(join(gitdir, 'HEAD')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    // Private repositories stay private on this machine too (STATE/git is 0700).
    await mkdir(gitdir, { recursive: true, mode: 0o700 });
    await init({ fs, gitdir, bare: true, defaultBranch: branch });
  }
  // fetch() needs a refspec for its remote. It moves the remote-tracking ref before the pack is
  // on disk, so a fetch killed half-way would leave a ref to missing objects: the mirror's own
  // branch is moved by us afterwards. The URL stays out of the config: it may carry credentials.
  const refspec = `+refs/heads/${branch}:refs/remotes/origin/${branch}`;
  if ((await getConfig({ fs, gitdir, path: 'remote.origin.fetch' })) !== refspec) {
    await setConfig({ fs, gitdir, path: 'remote.origin.fetch', value: refspec });
  }
}

async function readLocalRef(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    return await resolveRef({ fs, gitdir, ref });
  } catch {
    return undefined;
  }
}
