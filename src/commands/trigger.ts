import { hostname, userInfo } from 'node:os';
import { SlipwayError, UsageError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo, resolveCommit } from '../git/commit.ts';
import { createRun, executeRun } from '../pipeline/run.ts';
import { handOver } from './handover.ts';
import { commitRunRefusal } from '../pipeline/poll.ts';
import { branchOfCommit, offBranchMessage } from '../pipeline/branch-poll.ts';
import { openRuntime } from '../wiring/runtime.ts';
import { selectPipelines } from './once.ts';
import type { Output } from '../wiring/output.ts';
import { printRunEnd } from './run-end.ts';
import { progressFor } from './live-progress.ts';

/**
 * `slipway trigger PIPELINE [--commit SHA]`: a run now, of the branch head or the given commit.
 * With `slipway run` holding the state folder, a request file in STATE/inbox/ (the daemon takes
 * it within a second and queues the run); otherwise the run happens here, as `once` would.
 */
export async function triggerCommand(configDir: string, args: { pipeline?: string; commit?: string; follow?: boolean | undefined }, output: Output): Promise<number> {
  if (!args.pipeline) throw new UsageError('trigger takes a PIPELINE');
  if (args.commit !== undefined && !/^[0-9a-f]{4,40}$/i.test(args.commit)) throw new UsageError(`--commit ${JSON.stringify(args.commit)} is not a commit id (4 to 40 hex digits)`);
  const commitArg = args.commit?.toLowerCase();
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const [pipeline] = selectPipelines(config.pipelines, [args.pipeline]);
  const by = `${user()}@${hostname()}`;
  const handed = await handOver(config.settings.stateDir, { kind: 'trigger', pipeline: pipeline!.name, by, ...(commitArg ? { commit: commitArg } : {}) }, output, {
    what: 'trigger',
    exitCode: (run) => (run.status === 'failed' || run.status === 'interrupted' ? 1 : 0),
  });
  if (handed !== undefined) return handed;
  const live = progressFor(output, { follow: args.follow });
  const rt = await openRuntime(configDir, 'trigger', output, { progress: live.progress, watch: live.watch });
  try {
    const p = rt.config.pipelines.find((x) => x.name === pipeline!.name)!;
    const gitdir = statePaths(rt.config.settings.stateDir).git(p.name);
    const remote = { url: p.repo, branch: p.branch, ...(p.auth ? { auth: p.auth } : {}) };
    const { head } = await fetchMirror({ remote, gitdir });
    const sha = commitArg ? await resolveCommit(gitdir, commitArg) : head;
    // Only the deploy branch deploys: a commit of a tested branch runs as that branch's run.
    const branch = commitArg ? await branchOfCommit(gitdir, p, sha, head) : p.branch;
    if (branch === undefined) throw new SlipwayError(offBranchMessage(p, sha));
    const refused = await commitRunRefusal(rt.ctx, p, { commit: sha, trigger: 'trigger', ...(commitArg ? { explicit: true } : {}) });
    if (refused) {
      output.out(`${p.name}: nothing to run: ${refused}`);
      return 0;
    }
    const run = await createRun(rt.ctx, p, await readCommitInfo(gitdir, sha), 'trigger', branch);
    output.out(`${p.name} #${run.number}: triggered by ${by} at ${sha.slice(0, 7)}`);
    const done = await executeRun(rt.ctx, p, run);
    await printRunEnd(output, rt.config, done);
    return rt.interrupted ?? (done.status === 'failed' ? 1 : 0);
  } finally {
    live.stop();
    await rt.close();
  }
}

function user(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
