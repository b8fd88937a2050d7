import { hostname, userInfo } from 'node:os';
import { UsageError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { createRun, executeRollback, executeRun } from '../pipeline/run.ts';
import { pickEnvironment, prepareDeploy, prepareRollback } from '../pipeline/deploy-request.ts';
import { openRuntime } from '../wiring/runtime.ts';
import { selectPipelines } from './once.ts';
import { handOver } from './handover.ts';
import type { Output } from '../wiring/output.ts';
import { printRunEnd } from './run-end.ts';
import { progressFor } from './live-progress.ts';

export async function deployCommand(configDir: string, args: { pipeline?: string; env?: string; commit?: string; follow?: boolean | undefined }, output: Output): Promise<number> {
  if (!args.pipeline) throw new UsageError('deploy takes PIPELINE');
  if (!args.env) throw new UsageError('--env ENV is required');
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const [p] = selectPipelines(config.pipelines, [args.pipeline]);
  pickEnvironment(p!, args.env);
  const handed = await handOver(
    config.settings.stateDir,
    { kind: 'deploy', pipeline: p!.name, environment: args.env, by: actor(), ...(args.commit ? { commit: args.commit.toLowerCase() } : {}) },
    output,
    { what: `deploy to ${args.env}`, exitCode: (run) => (run.status === 'deployed' ? 0 : 1) },
  );
  if (handed !== undefined) return handed;
  const live = progressFor(output, { follow: args.follow });
  const rt = await openRuntime(configDir, 'deploy', output, { progress: live.progress, watch: live.watch });
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [args.pipeline]);
    const { env, tested } = await prepareDeploy(rt.ctx, pipeline!, args.env, args.commit);
    output.out(`${pipeline!.name}: deploying ${tested.commit.id.slice(0, 7)} (tested in run #${tested.number}) to ${env.name}`);
    const run = await createRun(rt.ctx, pipeline!, tested.commit, 'deploy');
    const done = await executeRun(rt.ctx, pipeline!, run, { environments: [env.name], testedIn: tested.number, approve: { environment: env.name, by: rt.ctx.actor } });
    await printRunEnd(output, rt.config, done);
    return rt.interrupted ?? (done.status === 'deployed' ? 0 : 1);
  } finally {
    live.stop();
    await rt.close();
  }
}

export async function rollbackCommand(configDir: string, args: { pipeline?: string; env?: string; follow?: boolean | undefined }, output: Output): Promise<number> {
  if (!args.pipeline) throw new UsageError('rollback takes PIPELINE');
  if (!args.env) throw new UsageError('--env ENV is required');
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const [p] = selectPipelines(config.pipelines, [args.pipeline]);
  pickEnvironment(p!, args.env);
  const handed = await handOver(config.settings.stateDir, { kind: 'rollback', pipeline: p!.name, environment: args.env, by: actor() }, output, {
    what: `rollback of ${args.env}`,
    exitCode: (run) => (run.status === 'deployed' ? 0 : 1),
  });
  if (handed !== undefined) return handed;
  const live = progressFor(output, { follow: args.follow });
  const rt = await openRuntime(configDir, 'rollback', output, { progress: live.progress, watch: live.watch });
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [args.pipeline]);
    const { env, commit } = await prepareRollback(rt.ctx, pipeline!, args.env);
    output.out(`${pipeline!.name}: rolling ${env.name} back to ${commit.id.slice(0, 7)}`);
    const run = await createRun(rt.ctx, pipeline!, commit, 'rollback');
    const done = await executeRollback(rt.ctx, pipeline!, run, env.name);
    await printRunEnd(output, rt.config, done, done.status === 'deployed' ? { outcome: 'rolled back' } : {});
    return rt.interrupted ?? (done.status === 'deployed' ? 0 : 1);
  } finally {
    live.stop();
    await rt.close();
  }
}

export function actor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): keep "unknown"
  }
  return `${user}@${hostname()}`;
}
