// The remote's branches (one ls-refs request) and the mirror's own branch refs: what polling
// `branches:` needs beside fetchMirror of the deploy branch.
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { listRemoteRefs } from './remote-refs.ts';
import { checkRemoteUrl, toGitError, type RemoteSpec } from './remote.ts';

const HEADS = 'refs/heads/';

/** branch name -> head sha on the remote. */
export async function listRemoteBranches(remote: RemoteSpec): Promise<Map<string, string>> {
  checkRemoteUrl(remote);
  let refs: Map<string, string>;
  try {
    refs = await listRemoteRefs(remote, HEADS);
  } catch (err) {
    throw toGitError(err, remote);
  }
  return new Map([...refs].filter(([ref]) => ref.startsWith(HEADS)).map(([ref, oid]) => [ref.slice(HEADS.length), oid]));
}

/** The mirror's branches: loose refs (branch names may hold "/") and packed-refs lines. */
export async function listMirrorBranches(gitdir: string): Promise<string[]> {
  const names = new Set<string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && !e.name.endsWith('.lock')) names.add(`${prefix}${e.name}`);
    }
  };
  await walk(join(gitdir, HEADS), '');
  for (const line of (await readFile(join(gitdir, 'packed-refs'), 'utf8').catch(() => '')).split('\n')) {
    const name = line.split(' ')[1];
    if (name?.startsWith(HEADS)) names.add(name.slice(HEADS.length));
  }
  return [...names].sort();
}

/** A branch deleted on the remote is deleted in the mirror too (its commits stay until compaction). */
export async function deleteMirrorBranch(gitdir: string, branch: string): Promise<void> {
  const ref = `${HEADS}${branch}`;
  await unlink(join(gitdir, ref)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  const packedPath = join(gitdir, 'packed-refs');
  const packed = await readFile(packedPath, 'utf8').catch(() => undefined);
  if (packed === undefined) return;
  const kept = packed.split('\n').filter((line) => line.split(' ')[1] !== ref);
  if (kept.length === packed.split('\n').length) return;
  const temp = `${packedPath}.${randomUUID()}.lock`;
  await writeFile(temp, kept.join('\n'));
  await rename(temp, packedPath);
}
