import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { statePaths } from '../state/store.ts';
import { writeTree } from '../git/tree.ts';
import { detectSandbox, prepareCommandRunner, type CommandRunner, type SandboxOptions } from '../exec/sandbox-runner.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep } from './step.ts';
import { hasBuildStage, runBuildStage } from './build-stage.ts';
import { runTestJobs } from './test-jobs.ts';
import { cacheFolder, restoreCache, saveCache } from './cache.ts';

/**
 * The test stage: the commit's tree written into a fresh workspace (never a checkout of the
 * mirror: isomorphic-git's checkout rewrites the mirror's HEAD and index and races), then each
 * `test` command in order, the whole stage bounded by `timeout`.
 */
export async function runTestStage(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig): Promise<boolean> {
  const stage: StageRecord = rec.addStage({ name: 'test', kind: 'test', status: 'running', startedAt: rec.now(), steps: [] });
  stage.status = 'running';
  await rec.save();
  const paths = statePaths(rec.stateDir);
  const workspace = paths.workspace(pipeline.name, rec.run.number);
  const deadline = Date.now() + pipeline.timeoutMs;
  let ok = true;
  let ended = false;
  try {
    await rm(workspace, { recursive: true, force: true });
    await mkdir(join(paths.work, pipeline.name), { recursive: true, mode: 0o700 });
    const checkout = await runStep(ctx, rec, stage, { id: 'test-checkout', name: 'checkout' }, async (log) => {
      const { files } = await writeTree({ gitdir: paths.git(pipeline.name), sha: rec.run.commit.id, dir: workspace });
      log.write(`wrote ${files} files of ${rec.run.commit.id} into the workspace\n`);
      return { ok: true };
    });
    ok = checkout.ok;
    const cache = pipeline.cache;
    let cacheKeyFound: string | undefined;
    if (ok && cache && !pipeline.testJobs) {
      // A cache that cannot be read is a miss, never a failed run: the tests install from scratch.
      const restored = await runStep(ctx, rec, stage, { id: 'test-cache-restore', name: 'restore cache' }, async (log) => {
        try {
          const r = await restoreCache({ dir: cacheFolder(rec.stateDir, pipeline), workspace, spec: cache }, log);
          if (!r.hit) cacheKeyFound = r.key;
        } catch (e) {
          log.write(`cache not restored: ${e instanceof Error ? e.message : String(e)}\n`);
        }
        return { ok: true };
      });
      ok = restored.ok;
    }
    if (ok && pipeline.testJobs) ok = await runTestJobs(ctx, rec, pipeline, { stage, workspace, deadline, jobs: pipeline.testJobs });
    let runner: CommandRunner | undefined;
    for (const [i, command] of pipeline.test.entries()) {
      if (!ok) break;
      const outcome = await runStep(ctx, rec, stage, { id: `test-${i + 1}`, name: command }, async (log) => {
        runner ??= await prepareCommandRunner(sandboxOptions(ctx, pipeline, rec, workspace));
        log.write(`${runner.choice.describe}${runner.choice.warning ? `\nwarning: ${runner.choice.warning}` : ''}\n$ ${command}\n`);
        const res = await runner.run(command, { deadline, onOutput: (chunk, stream) => log.output(chunk, stream), ...(ctx.signal ? { signal: ctx.signal } : {}) });
        if (res.timedOut) return { ok: false, error: `the test stage timed out after ${formatMs(pipeline.timeoutMs)}; the process group was killed` };
        if (res.exitCode !== 0) return { ok: false, ...(res.exitCode !== null ? { exitCode: res.exitCode } : {}), error: res.signal ? `killed by ${res.signal}` : `exited with code ${res.exitCode}` };
        return { ok: true, exitCode: 0 };
      });
      ok = outcome.ok;
    }
    // Saved only from a green workspace, and only when missing: the same key holds the same files.
    if (ok && cache && cacheKeyFound !== undefined && !pipeline.testJobs) {
      const key = cacheKeyFound;
      // A cache that cannot be written never fails the run: the step says why, the stage goes on.
      await runStep(ctx, rec, stage, { id: 'test-cache-save', name: 'save cache' }, (log) =>
        saveCache({ dir: cacheFolder(rec.stateDir, pipeline), workspace, spec: cache, key }, log).catch((e: unknown) => {
          log.write(`cache not saved: ${e instanceof Error ? e.message : String(e)}\n`);
          return { ok: true };
        }),
      );
    }
    stage.status = ok ? 'passed' : 'failed';
    stage.finishedAt = rec.now();
    ended = true;
    await rec.save();
    // Build runs in this workspace before it goes: it needs what test installed.
    if (ok && hasBuildStage(pipeline)) {
      ok = await runBuildStage(ctx, rec, pipeline, {
        workspace,
        deadline,
        runner: async () => (runner ??= await prepareCommandRunner(sandboxOptions(ctx, pipeline, rec, workspace))),
      });
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  if (!ended) {
    stage.status = ok ? 'passed' : 'failed';
    stage.finishedAt = rec.now();
    await rec.save();
  }
  return ok;
}

/**
 * Where and how the stage's commands run (src/exec/sandbox.ts): what they must not see, and the
 * one environment they are given. Branch and commit go in as variables, never spliced into the
 * command text.
 */
export function sandboxOptions(ctx: RunContext, pipeline: PipelineConfig, rec: RunRecorder, workspace: string): SandboxOptions {
  const { config } = ctx;
  const paths = statePaths(config.settings.stateDir);
  const hide = [
    config.dir, config.settings.stateDir, ...config.secretFiles,
    ...[config.settings.ssh.identity, config.settings.ssh.knownHosts].filter((p): p is string => p !== undefined),
    ...Object.values(config.hosts).flatMap((h) => (h.identity ? [h.identity] : [])),
  ];
  return {
    choice: detectSandbox(config.settings.sandbox),
    workspace,
    home: paths.cacheHome(pipeline.name),
    network: pipeline.network,
    hide,
    declared: {
      CI: 'true',
      SLIPWAY_PIPELINE: pipeline.name,
      SLIPWAY_RUN: String(rec.run.number),
      SLIPWAY_COMMIT: rec.run.commit.id,
      SLIPWAY_BRANCH: rec.run.branch,
    },
    fallbackEnv: unsandboxedEnv(config.secrets),
  };
}

/**
 * sandbox: none: slipway's own environment minus every variable that holds a secret (a webhook
 * secret or token must not leak into a repo's test scripts). The daemon's /proc still shows them.
 */
function unsandboxedEnv(secrets: readonly string[]): Record<string, string> {
  const hidden = new Set(secrets);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !hidden.has(v) && !k.startsWith('SLIPWAY_')) env[k] = v;
  }
  return env;
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
