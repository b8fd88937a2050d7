import { UsageError } from '../errors.ts';
import { commitRunRefusal, pollPipeline } from '../pipeline/poll.ts';
import { createRun, executeRun } from '../pipeline/run.ts';
import { detectBranchCommits, type BranchCommit } from '../pipeline/branch-poll.ts';
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readCommitInfo } from '../git/commit.ts';
import { statePaths } from '../state/store.ts';
import { openRuntime } from '../wiring/runtime.ts';
import type { Output } from '../wiring/output.ts';
import { printRunEnd } from './run-end.ts';
import { progressFor } from './live-progress.ts';
import { terminalLine } from '../terminal-text.ts';

export async function onceCommand(configDir: string, names: string[], output: Output, opts: { follow?: boolean | undefined } = {}): Promise<number> {
  const live = progressFor(output, { follow: opts.follow });
  const rt = await openRuntime(configDir, 'once', output, { progress: live.progress, watch: live.watch });
  try {
    const pipelines = selectPipelines(rt.config.pipelines, names);
    let failed = 0;
    // Pipelines run side by side up to `concurrency`; each pipeline's runs stay in order.
    const queue = [...pipelines];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        if (!(await onePipeline(p))) failed++;
      }
    };
    const onePipeline = async (p: PipelineConfig): Promise<boolean> => {
      // What a dead slipway left: the newest queued run, or one re-run of an interrupted commit.
      const left = rt.recovered.find((r) => r.pipeline === p.name);
      let ok = true;
      if (left?.queued || left?.rerun) ok = await resume(p, left.queued, left.rerun);
      if (rt.ctx.signal?.aborted) return false;
      // Branches are looked at first: a deleted one leaves the mirror before any run is recorded.
      let found: BranchCommit[] | undefined;
      try {
        found = await detectBranchCommits(rt.ctx, p);
      } catch (e) {
        output.err(`${p.name}: poll of branches failed: ${terminalLine(e instanceof Error ? e.message : String(e))}`);
      }
      const main = await deployBranch(p);
      return ok && (found !== undefined && (await otherBranchRuns(p, found))) && main;
    };
    // branches: other than the deploy branch: each new head tested (and built), in branch order.
    const otherBranchRuns = async (p: PipelineConfig, found: BranchCommit[]): Promise<boolean> => {
      let ok = true;
      for (const { branch, commit } of found) {
        const info = await readCommitInfo(statePaths(rt.config.settings.stateDir).git(p.name), commit);
        const created = await createRun(rt.ctx, p, info, 'poll', branch);
        output.out(`${p.name} #${created.number}: new commit ${commit.slice(0, 7)} on ${terminalLine(branch)}`);
        const run = await executeRun(rt.ctx, p, created);
        await printRunEnd(output, rt.config, run);
        if (run.status === 'failed' || run.status === 'interrupted') ok = false;
        if (rt.ctx.signal?.aborted) break;
      }
      return ok;
    };
    const deployBranch = async (p: PipelineConfig): Promise<boolean> => {
      let polled;
      try {
        polled = await pollPipeline(rt.ctx, p);
      } catch (e) {
        output.err(`${p.name}: poll failed: ${terminalLine(e instanceof Error ? e.message : String(e))}`);
        return false;
      }
      if (!polled.run) {
        output.out(`${p.name}: ${polled.reason}`);
        return true;
      }
      output.out(`${p.name} #${polled.run.number}: new commit ${polled.run.commit.id.slice(0, 7)}`);
      const run = await executeRun(rt.ctx, p, polled.run);
      await printRunEnd(output, rt.config, run);
      return run.status !== 'failed' && run.status !== 'interrupted';
    };
    const resume = async (p: PipelineConfig, queued: RunRecord | undefined, rerun: string | undefined): Promise<boolean> => {
      let run = queued;
      if (!run && rerun) {
        const refused = await commitRunRefusal(rt.ctx, p, { commit: rerun, trigger: 'recovery' });
        if (refused) return true;
        run = await createRun(rt.ctx, p, await readCommitInfo(statePaths(rt.config.settings.stateDir).git(p.name), rerun), 'recovery');
        output.out(`${p.name} #${run.number}: re-running ${rerun.slice(0, 7)}, interrupted earlier`);
      }
      if (!run) return true;
      const done = await executeRun(rt.ctx, p, run);
      await printRunEnd(output, rt.config, done);
      return done.status !== 'failed' && done.status !== 'interrupted';
    };
    await Promise.all(Array.from({ length: Math.min(rt.config.settings.concurrency, pipelines.length) }, worker));
    return rt.interrupted ?? (failed > 0 ? 1 : 0);
  } finally {
    live.stop();
    await rt.close();
  }
}

export function selectPipelines(all: PipelineConfig[], names: string[]): PipelineConfig[] {
  if (names.length === 0) return all;
  return names.map((n) => {
    const p = all.find((x) => x.name === n);
    if (!p) throw new UsageError(`no pipeline named "${n}"; configured: ${all.map((x) => x.name).join(', ') || 'none'}`);
    return p;
  });
}
