// `branches:` besides the deploy branch: which of the remote's branches have a head not seen yet
// (fetched into the pipeline's mirror, like the deploy branch), and what a new run records as
// seen. A branch deleted on the remote is deleted from the mirror at once and, with it, from the
// pipeline state at the next run created: forgotten, so a branch made again later runs again.
import type { PipelineConfig } from '../config/types.ts';
import type { PipelineState } from '../state/types.ts';
import { readPipelineState, statePaths } from '../state/store.ts';
import { fetchMirror, readLocalRef } from '../git/mirror.ts';
import { matchesBranch, otherBranches } from '../git/branch-match.ts';
import { isAncestor } from '../git/commit.ts';
import { deleteMirrorBranch, listMirrorBranches, listRemoteBranches } from '../git/branch-heads.ts';
import type { RunContext } from './context.ts';

export interface BranchCommit {
  branch: string;
  commit: string;
}

/** Whether `branches:` names anything besides the deploy branch. */
export function testsOtherBranches(pipeline: PipelineConfig): boolean {
  return pipeline.branches.some((g) => g !== pipeline.branch);
}

/** New heads of the other branches, fetched into the mirror. Writes no state (see poll.ts). */
export async function detectBranchCommits(ctx: RunContext, pipeline: PipelineConfig): Promise<BranchCommit[]> {
  if (!testsOtherBranches(pipeline)) return [];
  const stateDir = ctx.config.settings.stateDir;
  const gitdir = statePaths(stateDir).git(pipeline.name);
  const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
  const heads = await listRemoteBranches(remote);
  const wanted = otherBranches([...heads.keys()], pipeline.branches, pipeline.branch);
  for (const b of await listMirrorBranches(gitdir)) {
    if (b !== pipeline.branch && !wanted.includes(b)) await deleteMirrorBranch(gitdir, b);
  }
  const state = await readPipelineState(stateDir, pipeline.name);
  const found: BranchCommit[] = [];
  // One after another: fetchMirror must not run twice on one mirror at once.
  for (const branch of wanted) {
    const head = heads.get(branch)!;
    if (state.branches?.[branch] === head) continue;
    await fetchMirror({ remote: { ...remote, branch }, gitdir });
    found.push({ branch, commit: head });
  }
  return found;
}

/** The pipeline state after a poll's run of `branch` was created: seen, and deleted branches dropped. */
export async function recordSeen(state: PipelineState, at: { gitdir: string; deployBranch: string; branch: string; commit: string }): Promise<void> {
  if (at.branch === at.deployBranch) state.lastSeenCommit = at.commit;
  if (at.branch === at.deployBranch && state.branches === undefined) return;
  const live = new Set(await listMirrorBranches(at.gitdir));
  const seen: Record<string, string> = {};
  for (const [b, sha] of Object.entries(state.branches ?? {})) if (live.has(b)) seen[b] = sha;
  if (at.branch !== at.deployBranch) seen[at.branch] = at.commit;
  state.branches = seen;
}

/**
 * The branch a commit named by id (`trigger --commit`) runs as: the deploy branch when the commit
 * is on it, else a tested branch (`branches:`) that holds it; undefined when no watched branch
 * does. Only the deploy branch deploys, so a feature commit must never be recorded as its run.
 */
export async function branchOfCommit(gitdir: string, pipeline: PipelineConfig, sha: string, deployHead: string): Promise<string | undefined> {
  if (await isAncestor(gitdir, sha, deployHead)) return pipeline.branch;
  for (const branch of await listMirrorBranches(gitdir)) {
    if (branch === pipeline.branch || !matchesBranch(branch, pipeline.branches)) continue;
    const head = await readLocalRef(gitdir, `refs/heads/${branch}`);
    if (head !== undefined && (await isAncestor(gitdir, sha, head))) return branch;
  }
  return undefined;
}

/** The refusal for a commit on none of the watched branches. */
export function offBranchMessage(pipeline: PipelineConfig, sha: string): string {
  const watched = [pipeline.branch, ...pipeline.branches.filter((b) => b !== pipeline.branch)].join(', ');
  return `commit ${sha.slice(0, 7)} is on none of the branches ${pipeline.name} watches (${watched}); only commits of ${pipeline.branch} deploy`;
}
