import type { EnvironmentConfig, HostConfig, PipelineConfig } from '../config/types.ts';
import type { HostOutcome, StageRecord } from '../state/types.ts';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { SshConnection } from '../ssh/connection.ts';
import type { StepLog } from '../exec/log-file.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep, type StepOutcome } from './step.ts';
import { formatMs } from './test-stage.ts';
import * as remote from './remote-commands.ts';
import { tailLines } from '../state/failure-tail.ts';
import { uploadArtifact } from './deploy-artifact.ts';
import { sharedLinksScript } from './shared-links.ts';

/** One host's part of an environment deploy; `staged`/`switched` tell the rollback what to undo. */
export interface HostDeploy {
  host: HostConfig;
  conn?: SshConnection;
  facts?: remote.HostFacts;
  staged: boolean;
  switched: boolean;
  /** The host's facts when this deploy connected (what it ran before): never updated. */
  initial?: remote.HostFacts;
  /** The lock's info line while we hold the host's deploy lock. */
  lock?: string;
  /** The lock was held by someone else: nothing of this deploy touched the host. */
  lockRefused?: boolean;
  outcome: HostOutcome;
}

export interface HostDeployInput {
  ctx: RunContext;
  rec: RunRecorder;
  stage: StageRecord;
  pipeline: PipelineConfig;
  env: EnvironmentConfig;
  release: string;
  /** source: upload: the commit's tree, written locally once per environment deploy. */
  uploadDir?: string;
}

/** Connect and read the host's facts (what runs there now), in one exec. */
export async function connectHost(input: HostDeployInput, d: HostDeploy): Promise<boolean> {
  const { ctx, rec, stage, env } = input;
  const r = await runStep(ctx, rec, stage, { id: stepId(env, d.host, 'connect'), name: `${d.host.name}: connect`, host: d.host.name }, async (log) => {
    d.conn = await ctx.pool.get(d.host.name);
    const res = await remoteExec(d.conn, remote.factsScript(env.deploy.path), log, { timeoutMs: env.deploy.commandTimeoutMs });
    if (!res.ok) return res;
    d.facts = d.initial = remote.parseFacts(res.stdout ?? '');
    if (d.facts.foreignCurrent !== undefined) {
      return { ok: false, error: `current points to ${JSON.stringify(d.facts.foreignCurrent)}, not a release folder of ${env.deploy.path}; move it aside or link it into releases/ before deploying` };
    }
    return res;
  });
  return r.ok;
}

/** Fetch, export, steps, switch, restart, health: stops at the first failure. */
export async function deployHost(input: HostDeployInput, d: HostDeploy): Promise<boolean> {
  return (await stageHost(input, d)) && activateHost(input, d, d.conn!);
}

/** The release folder made ready on the host (fetched or uploaded, shared links, steps); nothing switched. */
export async function stageHost(input: HostDeployInput, d: HostDeploy): Promise<boolean> {
  const { ctx, env, release } = input;
  const conn = d.conn;
  if (!conn) return false;
  if (env.deploy.source === 'artifact') {
    d.staged = true;
    const { rec } = input;
    const uploaded = await runStep(ctx, rec, input.stage, { id: stepId(env, d.host, 'artifact'), name: `${d.host.name}: upload artifact as release ${release}`, host: d.host.name }, (log) =>
      uploadArtifact({ conn, stateDir: rec.stateDir, run: rec.run, path: env.deploy.path, release, timeoutMs: env.deploy.commandTimeoutMs, exec: remoteExec }, log),
    );
    if (!uploaded.ok) return fail(d, `upload artifact: ${uploaded.error}`);
  } else if (env.deploy.source === 'upload') {
    d.staged = true;
    const uploaded = await runStep(ctx, input.rec, input.stage, { id: stepId(env, d.host, 'upload'), name: `${d.host.name}: upload release ${release}`, host: d.host.name }, async (log) =>
      infrastructure(await uploadTree(conn, input, log)),
    );
    if (!uploaded.ok) return fail(d, `upload: ${uploaded.error}`);
  } else if (!(await pullRelease(input, d, conn))) {
    return false;
  }
  if (env.deploy.shared.length > 0) {
    const linked = await runStep(ctx, input.rec, input.stage, { id: stepId(env, d.host, 'shared'), name: `${d.host.name}: link shared ${env.deploy.shared.join(', ')}`, host: d.host.name }, (log) =>
      remoteExec(conn, sharedLinksScript(env.deploy.path, release, env.deploy.shared), log, { timeoutMs: env.deploy.commandTimeoutMs }),
    );
    if (!linked.ok) return fail(d, `shared: ${linked.error}`);
  }
  return runSteps(input, d, conn);
}

/** source: upload — the tested tree as a tar stream over the SSH channel, for hosts that cannot reach the git remote. */
async function uploadTree(conn: SshConnection, input: HostDeployInput, log: StepLog): Promise<StepOutcome> {
  const dir = input.uploadDir;
  if (!dir) return { ok: false, error: 'no tree to upload' };
  const tar = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (c: Buffer) => (tarErr += c.toString()));
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', (code) => resolve(code)));
  // Piped at once: when a child exits, Node resumes (and so discards) any of its output streams
  // nobody reads yet, and a small tree is written before the SSH channel has opened.
  const body = tar.stdout.pipe(new PassThrough());
  let res: StepOutcome;
  try {
    res = await remoteExec(conn, remote.uploadScript(input.env.deploy.path, input.release, input.rec.run.commit.id), log, {
      timeoutMs: input.env.deploy.commandTimeoutMs,
      stdin: body,
    });
  } finally {
    // A host that failed before reading everything leaves tar blocked on a full pipe: end it.
    if (tar.exitCode === null) tar.kill('SIGKILL');
    body.resume();
  }
  const tarCode = await tarDone;
  if (!res.ok) return res;
  if (tarCode !== 0) return { ok: false, error: `local tar failed (${tarCode}): ${tarErr.trim()}` };
  return res;
}

/** source: pull — the host fetches the exact commit into PATH/repo and exports it. */
async function pullRelease(input: HostDeployInput, d: HostDeploy, conn: SshConnection): Promise<boolean> {
  const { ctx, pipeline, env, release } = input;
  const spec = env.deploy;
  const commit = input.rec.run.commit.id;
  // Fetching and unpacking a commit fail for the host's reasons (its network, its disk), not the commit's.
  const step = (what: string, name: string, script: string, extra?: { stdin?: Buffer }) =>
    runStep(ctx, input.rec, input.stage, { id: stepId(env, d.host, what), name: `${d.host.name}: ${name}`, host: d.host.name }, async (log) =>
      infrastructure(await remoteExec(conn, script, log, { timeoutMs: spec.commandTimeoutMs, ...extra })),
    );
  const fetchSpec = { path: spec.path, repo: pipeline.repo, branch: pipeline.branch, commit, withAuth: pipeline.auth !== undefined };
  const stdin = pipeline.auth ? Buffer.from(`Authorization: Basic ${Buffer.from(`${pipeline.auth.username}:${pipeline.auth.token}`).toString('base64')}\n`) : undefined;
  const fetched = await step('fetch', `fetch ${commit.slice(0, 7)}`, remote.fetchScript(fetchSpec), stdin ? { stdin } : {});
  if (!fetched.ok) return fail(d, `fetch: ${fetched.error}`);
  d.staged = true;
  const exported = await step('export', `release ${release}`, remote.exportScript(spec.path, release, commit));
  if (!exported.ok) return fail(d, `release folder: ${exported.error}`);
  return true;
}

function hostStep(input: HostDeployInput, d: HostDeploy, conn: SshConnection) {
  const spec = input.env.deploy;
  return (what: string, name: string, cmd: { script: string; stdin?: Buffer }) =>
    runStep(input.ctx, input.rec, input.stage, { id: stepId(input.env, d.host, what), name: `${d.host.name}: ${name}`, host: d.host.name }, async (log) =>
      // Cancelled or stopping: no further step starts; what was done is rolled back.
      input.ctx.signal?.aborted
        ? { ok: false, error: 'not started: the run was stopped', cause: 'infrastructure' as const }
        : remoteExec(conn, cmd.script, log, { timeoutMs: spec.commandTimeoutMs, ...(cmd.stdin ? { stdin: cmd.stdin } : {}) }),
    );
}

/** `steps` on this host, in the new release folder. */
async function runSteps(input: HostDeployInput, d: HostDeploy, conn: SshConnection): Promise<boolean> {
  const step = hostStep(input, d, conn);
  const vars = commandEnv(input, d);
  for (const [i, command] of input.env.deploy.steps.entries()) {
    const r = await step(`step-${i + 1}`, command, remote.userCommand(input.env.deploy.path, input.release, vars, command));
    if (!r.ok) return fail(d, `step "${command}": ${r.error}`);
  }
  return true;
}

/** `{ run, once: true }` steps, on one host (the environment's first), while no host has switched. */
export async function runOnceSteps(input: HostDeployInput, d: HostDeploy): Promise<boolean> {
  const step = hostStep(input, d, d.conn!);
  const vars = commandEnv(input, d);
  for (const [i, command] of input.env.deploy.onceSteps.entries()) {
    const r = await step(`once-${i + 1}`, `${command} (once for ${input.env.name})`, remote.userCommand(input.env.deploy.path, input.release, vars, command));
    if (!r.ok) return fail(d, `once step "${command}": ${r.error}`);
  }
  return true;
}

/** Switch, restart, health check of a staged release. */
export async function activateHost(input: HostDeployInput, d: HostDeploy, conn: SshConnection): Promise<boolean> {
  const { ctx, pipeline, env, release } = input;
  const spec = env.deploy;
  const commit = input.rec.run.commit.id;
  const step = hostStep(input, d, conn);
  const vars = commandEnv(input, d);
  const audit = `${input.rec.now()} ${release} ${commit} run=${pipeline.name}#${input.rec.run.number} by=${ctx.actor}`;
  // Counted as switched before the step: if it fails after the rename (a timeout, a lost
  // connection, an unwritable revisions.log), the rollback must still switch back.
  d.switched = true;
  const switched = await step('switch', 'switch current', { script: `${remote.switchScript(spec.path, release)}; ${remote.revisionLogScript(spec.path, audit)}` });
  if (!switched.ok) return fail(d, `switch: ${switched.error}`);
  if (spec.restart) {
    const restarted = await step('restart', 'restart', remote.userCommand(spec.path, release, vars, spec.restart));
    if (!restarted.ok) return fail(d, `restart: ${restarted.error}`);
  }
  if (spec.healthCheck) {
    const healthy = await healthCheck(input, d, conn, vars);
    if (!healthy.ok) return fail(d, `health check: ${healthy.error}`);
  }
  d.outcome.status = 'deployed';
  return true;
}

/** The health gate, as a recorded step of its own. */
async function healthCheck(input: HostDeployInput, d: HostDeploy, conn: SshConnection, vars: Record<string, string>): Promise<StepOutcome> {
  return runStep(input.ctx, input.rec, input.stage, { id: stepId(input.env, d.host, 'health'), name: `${d.host.name}: health check`, host: d.host.name }, (log) =>
    waitHealthy(conn, input.env, input.release, vars, log),
  );
}

/**
 * The check is retried every `interval` until `timeout`. Each attempt's output goes to the
 * log, so a flapping service shows its history.
 */
export async function waitHealthy(conn: SshConnection, env: EnvironmentConfig, release: string, vars: Record<string, string>, log: StepLog): Promise<StepOutcome> {
  const hc = env.deploy.healthCheck;
  if (!hc) return { ok: true };
  const deadline = Date.now() + hc.timeoutMs;
  const commands = [hc.command, hc.url ? remote.healthUrlCommand(remote.expandVars(hc.url, vars), hc.intervalMs / 1000 + 5) : undefined].filter((c): c is string => !!c);
  const check = remote.userCommand(env.deploy.path, release, vars, commands.join(' && '));
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    log.write(`health check of ${release}, attempt ${attempt}:\n`);
    const res = await remoteExec(conn, check.script, log, { timeoutMs: Math.max(1000, left), stdin: check.stdin });
    if (res.ok) return { ok: true, exitCode: 0 };
    if (Date.now() + hc.intervalMs > deadline) {
      // The exit code alone says little (curl's 7); the check's own last line says why.
      const said = tailLines(`${res.stdout ?? ''}\n${res.stderr ?? ''}`, 1)[0];
      return { ok: false, ...(res.exitCode !== undefined ? { exitCode: res.exitCode } : {}), error: `unhealthy after ${attempt} attempts in ${formatMs(hc.timeoutMs)}: ${res.error}${said ? `: ${said}` : ''}` };
    }
    await new Promise((r) => setTimeout(r, hc.intervalMs));
  }
}

/**
 * Undo this deploy on one host: back to the previous release (restarted), or to no `current`
 * at all on a host whose first deploy failed; the failed release folder is removed.
 */
export async function rollbackHost(input: HostDeployInput, d: HostDeploy): Promise<boolean> {
  const { ctx, env, release } = input;
  const spec = env.deploy;
  const previous = d.initial?.current;
  // Staged but never switched: the host still runs what it ran; only the new folder goes.
  const name = d.switched ? `${d.host.name}: roll back${previous ? ` to ${previous}` : ''}` : `${d.host.name}: remove release ${release} (never switched to)`;
  const r = await runStep(ctx, input.rec, input.stage, { id: stepId(env, d.host, 'rollback'), name, host: d.host.name }, async (log) => {
    const conn = await ctx.pool.get(d.host.name);
    const run = (script: string) => remoteExec(conn, script, log, { timeoutMs: spec.commandTimeoutMs });
    if (d.switched) {
      const back = previous ? remote.switchScript(spec.path, previous) : remote.unlinkCurrentScript(spec.path);
      const res = await run(back);
      if (!res.ok) return res;
      if (previous && spec.restart) {
        const vars = { ...commandEnv(input, d), SLIPWAY_RELEASE: previous, SLIPWAY_COMMIT: d.initial?.revision ?? '' };
        const restart = remote.userCommand(spec.path, previous, vars, spec.restart);
        const restarted = await remoteExec(conn, restart.script, log, { timeoutMs: spec.commandTimeoutMs, stdin: restart.stdin });
        if (!restarted.ok) return { ...restarted, error: `restart of ${previous} failed: ${restarted.error}` };
        // A rollback is done when the old release serves again, not when its restart returned.
        const healthy = await waitHealthy(conn, env, previous, vars, log);
        if (!healthy.ok) return { ...healthy, error: `${previous} is back but ${healthy.error}` };
      }
    }
    return run(remote.removeReleaseScript(spec.path, release));
  });
  d.outcome.status = r.ok ? (d.switched ? 'rolled-back' : 'untouched') : 'failed';
  if (!r.ok) d.outcome.error = `rollback failed: ${r.error ?? 'unknown error'}`;
  return r.ok;
}

/** Prune old releases (never current or previous) and read the host's facts again for the state. */
export async function pruneHost(input: HostDeployInput, d: HostDeploy): Promise<void> {
  const { ctx, env, release } = input;
  const spec = env.deploy;
  await runStep(ctx, input.rec, input.stage, { id: stepId(env, d.host, 'prune'), name: `${d.host.name}: keep ${spec.keepReleases} releases`, host: d.host.name }, async (log) => {
    const conn = await ctx.pool.get(d.host.name);
    const protect = [release, d.initial?.current].filter((r): r is string => !!r);
    const pruned = await remoteExec(conn, remote.pruneScript(spec.path, spec.keepReleases, protect), log, { timeoutMs: spec.commandTimeoutMs });
    if (!pruned.ok) return pruned;
    const facts = await remoteExec(conn, remote.factsScript(spec.path), log, { timeoutMs: spec.commandTimeoutMs });
    if (facts.ok) d.facts = remote.parseFacts(facts.stdout ?? '');
    return facts;
  });
}

export function commandEnv(input: HostDeployInput, d: HostDeploy): Record<string, string> {
  return {
    ...d.host.env,
    SLIPWAY_COMMIT: input.rec.run.commit.id,
    SLIPWAY_RELEASE: input.release,
    SLIPWAY_PREVIOUS: d.initial?.current ?? '',
    SLIPWAY_ENV: input.env.name,
    SLIPWAY_HOST: d.host.name,
    SLIPWAY_PIPELINE: input.pipeline.name,
  };
}

function infrastructure<T extends StepOutcome>(outcome: T): T {
  return outcome.ok ? outcome : { ...outcome, cause: 'infrastructure' };
}

function fail(d: HostDeploy, error: string): false {
  d.outcome.status = 'failed';
  d.outcome.error = error;
  return false;
}

export function stepId(env: EnvironmentConfig, host: HostConfig, what: string): string {
  return `${env.name}-${host.name}-${what}`;
}

/** Run a remote script, output to the step log; non-zero exit or timeout is an ordinary failure. */
export async function remoteExec(
  conn: SshConnection,
  script: string,
  log: StepLog,
  opts: { timeoutMs: number; stdin?: Buffer | NodeJS.ReadableStream },
): Promise<StepOutcome & { stdout?: string; stderr?: string }> {
  const started = Date.now();
  const res = await conn.exec(script, {
    timeoutMs: opts.timeoutMs,
    onStdout: (c) => log.output(c, 'stdout'),
    onStderr: (c) => log.output(c, 'stderr'),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  });
  if (res.timedOut) {
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    return {
      ok: false,
      stdout: res.stdout,
      stderr: res.stderr,
      error:
        res.timedOutBy === 'slipway'
          ? `no answer from the host for ${took} (limit ${formatMs(opts.timeoutMs)}); slipway closed the channel, the command may still run there`
          : `timed out after ${took} (limit ${formatMs(opts.timeoutMs)}); the host's timeout stopped the command and its process group`,
    };
  }
  if (res.code !== 0) {
    return { ok: false, stdout: res.stdout, stderr: res.stderr, ...(res.code !== null ? { exitCode: res.code } : {}), error: res.signal ? `killed by ${res.signal}` : `exited with code ${res.code}` };
  }
  return { ok: true, exitCode: 0, stdout: res.stdout };
}
