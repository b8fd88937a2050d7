// `test` as a map of named jobs ({ unit: [...], lint: [...] }): all run at once, each in its own
// fresh workspace and as its own step with its own log; the stage passes when every job passes,
// and the first failure cancels the others (their process groups get SIGTERM, then SIGKILL), so a
// red lint does not wait for a slow integration suite. Each job's workspace is a copy of the
// stage's (the checkout plus a restored cache), so every job starts from the same files.
import { cp, rm } from 'node:fs/promises';
import type { PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { prepareCommandRunner } from '../exec/sandbox-runner.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep, type StepOutcome } from './step.ts';
import { formatMs, sandboxOptions } from './test-stage.ts';

export async function runTestJobs(
  ctx: RunContext,
  rec: RunRecorder,
  pipeline: PipelineConfig,
  opts: {
    stage: StageRecord;
    workspace: string;
    deadline: number;
    jobs: Record<string, string[]>;
    /** This job's workspace is left in place when it passes (the caller saves the cache from it, then removes it). */
    keep?: string;
  },
): Promise<boolean> {
  const cancel = new AbortController();
  let firstFailure: string | undefined;
  const one = async (name: string, commands: string[]): Promise<StepOutcome> => {
    const workspace = jobWorkspace(opts.workspace, name);
    let passed = false;
    try {
      return await runStep(ctx, rec, opts.stage, { id: `test-job-${name}`, name: `${name}: ${commands.join(' && ')}` }, async (log) => {
        await rm(workspace, { recursive: true, force: true });
        await cp(opts.workspace, workspace, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        const runner = await prepareCommandRunner(sandboxOptions(ctx, pipeline, rec, workspace));
        log.write(`${runner.choice.describe}\n`);
        for (const command of commands) {
          if (cancel.signal.aborted) return { ok: false, error: `cancelled: job ${firstFailure} failed` };
          log.write(`$ ${command}\n`);
          const res = await runner.run(command, { deadline: opts.deadline, signal: cancel.signal, onOutput: (chunk, stream) => log.output(chunk, stream) });
          if (res.cancelled) return { ok: false, error: `cancelled: job ${firstFailure} failed` };
          if (res.timedOut) return { ok: false, error: `the test stage timed out after ${formatMs(pipeline.timeoutMs)}; the process group was killed` };
          if (res.exitCode !== 0) return { ok: false, ...(res.exitCode !== null ? { exitCode: res.exitCode } : {}), error: `"${command}" ${res.signal ? `was killed by ${res.signal}` : `exited with code ${res.exitCode}`}` };
        }
        passed = true;
        return { ok: true, exitCode: 0 };
      });
    } finally {
      if (!(passed && name === opts.keep)) await rm(workspace, { recursive: true, force: true });
    }
  };
  const outcomes = await Promise.all(
    Object.entries(opts.jobs).map(async ([name, commands]) => {
      const outcome = await one(name, commands);
      if (!outcome.ok && firstFailure === undefined) {
        firstFailure = name;
        cancel.abort();
      }
      return outcome;
    }),
  );
  return outcomes.every((o) => o.ok);
}

export function jobWorkspace(workspace: string, job: string): string {
  return `${workspace}-job-${job}`;
}
