// The build stage: after a green test stage, in the same workspace (so build sees what test
// installed), each `build` command in order; then, with `artifact:`, the chosen paths packed once
// into STATE/artifacts/NAME/N.tar.gz. Every host of every environment later gets exactly these
// bytes: nothing is built on a host, and promotion ships what was tested.
import type { PipelineConfig } from '../config/types.ts';
import { statePaths } from '../state/store.ts';
import type { CommandRunner } from '../exec/sandbox-runner.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep } from './step.ts';
import { packArtifact } from './artifact.ts';
import { formatMs } from './test-stage.ts';

export interface BuildInput {
  workspace: string;
  /** The test stage's deadline: test and build share `timeout`. */
  deadline: number;
  /** The test stage's runner (same sandbox), made on first use. */
  runner: () => Promise<CommandRunner>;
}

/** Whether the pipeline has a build stage at all. */
export function hasBuildStage(pipeline: PipelineConfig): boolean {
  return pipeline.build.length > 0 || pipeline.artifact !== undefined;
}

export async function runBuildStage(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, input: BuildInput): Promise<boolean> {
  const stage = rec.addStage({ name: 'build', kind: 'build', status: 'running', startedAt: rec.now(), steps: [] });
  await rec.save();
  let ok = true;
  for (const [i, command] of pipeline.build.entries()) {
    const outcome = await runStep(ctx, rec, stage, { id: `build-${i + 1}`, name: command }, async (log) => {
      const runner = await input.runner();
      log.write(`${runner.choice.describe}\n$ ${command}\n`);
      const res = await runner.run(command, { deadline: input.deadline, onOutput: (chunk, stream) => log.output(chunk, stream) });
      if (res.timedOut) return { ok: false, error: `test and build timed out after ${formatMs(pipeline.timeoutMs)}; the process group was killed` };
      if (res.exitCode !== 0) return { ok: false, ...(res.exitCode !== null ? { exitCode: res.exitCode } : {}), error: res.signal ? `killed by ${res.signal}` : `exited with code ${res.exitCode}` };
      return { ok: true, exitCode: 0 };
    });
    ok = outcome.ok;
    if (!ok) break;
  }
  const artifact = pipeline.artifact;
  if (ok && artifact) {
    const out = statePaths(rec.stateDir).artifact(pipeline.name, rec.run.number);
    const packed = await runStep(ctx, rec, stage, { id: 'build-artifact', name: `pack artifact (${artifact.paths.join(', ')})` }, async (log) => {
      const info = await packArtifact(input.workspace, artifact.paths, out);
      rec.run.artifact = { ...info, run: rec.run.number };
      log.write(`packed ${info.files} files, ${info.bytes} bytes, sha256 ${info.sha256}\n`);
      return { ok: true };
    });
    ok = packed.ok;
  }
  stage.status = ok ? 'passed' : 'failed';
  stage.finishedAt = rec.now();
  await rec.save();
  return ok;
}
