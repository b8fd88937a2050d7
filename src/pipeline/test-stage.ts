import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { statePaths } from '../state/store.ts';
import { writeTree } from '../git/tree.ts';
import { runLocal } from '../exec/run-local.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep } from './step.ts';

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
  const workspace = join(paths.work, pipeline.name, String(rec.run.number));
  const deadline = Date.now() + pipeline.timeoutMs;
  let ok = true;
  try {
    await rm(workspace, { recursive: true, force: true });
    await mkdir(join(paths.work, pipeline.name), { recursive: true });
    const checkout = await runStep(ctx, rec, stage, { id: 'test-checkout', name: 'checkout' }, async (log) => {
      const { files } = await writeTree({ gitdir: paths.git(pipeline.name), sha: rec.run.commit.id, dir: workspace });
      log.write(`wrote ${files} files of ${rec.run.commit.id} into the workspace\n`);
      return { ok: true };
    });
    ok = checkout.ok;
    for (const [i, command] of pipeline.test.entries()) {
      if (!ok) break;
      const outcome = await runStep(ctx, rec, stage, { id: `test-${i + 1}`, name: command }, async (log) => {
        log.write(`$ ${command}\n`);
        const res = await runLocal({ command, cwd: workspace, env: testEnv(ctx, pipeline, rec), deadline, onOutput: (t) => log.write(t), ...(ctx.signal ? { signal: ctx.signal } : {}) });
        if (res.timedOut) return { ok: false, error: `the test stage timed out after ${formatMs(pipeline.timeoutMs)}; the process group was killed` };
        if (res.exitCode !== 0) return { ok: false, ...(res.exitCode !== null ? { exitCode: res.exitCode } : {}), error: res.signal ? `killed by ${res.signal}` : `exited with code ${res.exitCode}` };
        return { ok: true, exitCode: 0 };
      });
      ok = outcome.ok;
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  stage.status = ok ? 'passed' : 'failed';
  stage.finishedAt = rec.now();
  await rec.save();
  return ok;
}

/**
 * The environment of a test command: slipway's own, minus every variable that holds a secret
 * (a webhook secret or token must not leak into a repo's test scripts), plus what the commit is.
 * Branch and commit go in as variables, never spliced into the command text.
 */
function testEnv(ctx: RunContext, pipeline: PipelineConfig, rec: RunRecorder): Record<string, string> {
  const secrets = new Set(ctx.config.secrets);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !secrets.has(v) && !k.startsWith('SLIPWAY_')) env[k] = v;
  }
  return {
    ...env,
    CI: 'true',
    SLIPWAY_PIPELINE: pipeline.name,
    SLIPWAY_RUN: String(rec.run.number),
    SLIPWAY_COMMIT: rec.run.commit.id,
    SLIPWAY_BRANCH: rec.run.branch,
  };
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
