// The git module: remote checks, the bare mirror, commits and trees.
export { readRemoteHead, maskUrl, type RemoteSpec } from './remote.ts';
export { fetchMirror } from './mirror.ts';
export { readCommitInfo, resolveCommit } from './commit.ts';
export { writeTree } from './tree.ts';
