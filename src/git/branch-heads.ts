// The remote's branches (one listServerRefs request) and the mirror's own branch refs: what
// polling `branches:` needs beside fetchMirror of the deploy branch.
import * as fs from 'node:fs';
import { deleteRef, listBranches, listServerRefs } from 'isomorphic-git';
import { authHeaders, checkRemoteUrl, httpClient, toGitError, type RemoteSpec } from './remote.ts';

/** branch name -> head sha on the remote. */
export async function listRemoteBranches(remote: RemoteSpec): Promise<Map<string, string>> {
  checkRemoteUrl(remote);
  let refs: Array<{ ref: string; oid: string }>;
  try {
    refs = await listServerRefs({ http: httpClient, url: remote.url, headers: authHeaders(remote), protocolVersion: 2, prefix: 'refs/heads/' });
  } catch (err) {
    throw toGitError(err, remote);
  }
  return new Map(refs.filter((r) => r.ref.startsWith('refs/heads/')).map((r) => [r.ref.slice('refs/heads/'.length), r.oid]));
}

export async function listMirrorBranches(gitdir: string): Promise<string[]> {
  try {
    return await listBranches({ fs, gitdir });
  } catch {
    return [];
  }
}

/** A branch deleted on the remote is deleted in the mirror too (its commits stay until gc). */
export async function deleteMirrorBranch(gitdir: string, branch: string): Promise<void> {
  await deleteRef({ fs, gitdir, ref: `refs/heads/${branch}` });
}
