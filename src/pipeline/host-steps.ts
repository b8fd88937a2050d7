// The steps one host gets, as plan values: building blocks of deploy-plan.ts and heal-plan.ts.
// Pure; every script from remote-commands.ts and friends, so quoting stays in src/ssh/quote.ts.
// Steps are coalesced so a deploy without user steps costs one exec per phase (issue 13):
// release (fetch/unpack + REVISION + shared links), switch (+ revisions.log, restart), health
// (+ prune and the lock's release when nothing can still roll the host back).
import type { EnvironmentConfig, HostConfig, PipelineConfig } from '../config/types.ts';
import type { PlanStep, StepInput } from './plan-types.ts';
import * as remote from './remote-commands.ts';
import { artifactScript } from './artifact-commands.ts';
import { sharedLinksScript } from './shared-links.ts';
import { healthCommand } from './host-facts.ts';
import { releaseLockScript, relockScript } from './lock-scripts.ts';
import { quoteArg } from '../ssh/quote.ts';

/** What every step builder of one host needs to know. */
export interface HostScope {
  pipeline: PipelineConfig;
  env: EnvironmentConfig;
  host: HostConfig;
  /** The commit the host goes to, and its release name. */
  commit: string;
  release: string;
  /** What `current` named when the host was read (undefined: nothing deployed yet). */
  previous?: string;
  /** The commit in the previous release's REVISION. */
  previousCommit?: string;
  /** Our deploy lock's info line on this host. */
  lock: string;
}

export function stepId(s: Pick<HostScope, 'env' | 'host'>, what: string): string {
  return `${s.env.name}-${s.host.name}-${what}`;
}

/** The variables every user command gets (contract: "Commands run in the release folder with…"). */
export function commandEnv(s: HostScope, release = s.release, commit = s.commit): Record<string, string> {
  return {
    ...s.host.env,
    SLIPWAY_COMMIT: commit,
    SLIPWAY_RELEASE: release,
    SLIPWAY_PREVIOUS: s.previous ?? '',
    SLIPWAY_ENV: s.env.name,
    SLIPWAY_HOST: s.host.name,
    SLIPWAY_PIPELINE: s.pipeline.name,
  };
}

/** The releases a prune removes: all but the newest `keep`, never the protected ones. */
export function prunedReleases(releases: readonly string[], keep: number, protect: readonly string[]): string[] {
  const sorted = [...new Set(releases)].filter((r) => !r.startsWith('.')).sort();
  const old = sorted.slice(0, Math.max(0, sorted.length - Math.max(0, Math.floor(keep))));
  return old.filter((r) => !protect.includes(r));
}

/** The release folder made ready: fetched/uploaded/unpacked, REVISION written, shared links made. */
export function releaseStep(s: HostScope, source: { tree?: string; artifact?: { sha256: string; run: number; files: number; bytes: number }; artifactFile?: string }): PlanStep {
  const spec = s.env.deploy;
  const shared = spec.shared.length > 0 ? `; ${sharedLinksScript(spec.path, s.release, spec.shared)}` : '';
  const also = spec.shared.length > 0 ? `, link shared ${spec.shared.join(', ')}` : '';
  const undo = [removeReleaseStep(s)];
  if (spec.source === 'artifact') {
    const a = source.artifact;
    const step: PlanStep = { id: stepId(s, 'artifact'), name: `${s.host.name}: upload artifact as release ${s.release}${also}`, script: '', error: 'upload artifact', undo };
    if (!a || !source.artifactFile) return { ...step, refuse: 'this run has no artifact (was it built before artifact: was configured?); run the commit again to build one' };
    return {
      ...step,
      script: artifactScript(spec.path, s.release, s.commit, a.sha256) + shared,
      stdin: { kind: 'file', path: source.artifactFile, missing: `the artifact of run #${a.run} is gone from ${source.artifactFile}; run the commit again to build one` },
      note: `artifact of run #${a.run}: ${a.files} files, ${a.bytes} bytes, sha256 ${a.sha256}\n`,
    };
  }
  if (spec.source === 'upload') {
    const stdin: StepInput | undefined = source.tree ? { kind: 'tree', dir: source.tree } : undefined;
    return {
      id: stepId(s, 'upload'),
      name: `${s.host.name}: upload release ${s.release}${also}`,
      script: remote.uploadScript(spec.path, s.release, s.commit) + shared,
      ...(stdin ? { stdin } : { refuse: 'no tree to upload' }),
      error: 'upload',
      cause: 'infrastructure',
      undo,
    };
  }
  const p = s.pipeline;
  const fetch = remote.fetchScript({ path: spec.path, repo: p.repo, branch: p.branch, commit: s.commit, withAuth: p.auth !== undefined });
  // The credentials go on stdin (one header line), never into argv or the script.
  const header = p.auth ? Buffer.from(`Authorization: Basic ${Buffer.from(`${p.auth.username}:${p.auth.token}`).toString('base64')}\n`) : undefined;
  return {
    id: stepId(s, 'release'),
    name: `${s.host.name}: fetch ${s.commit.slice(0, 7)} as release ${s.release}${also}`,
    script: `${fetch}; ${remote.exportScript(spec.path, s.release, s.commit)}${shared}`,
    ...(header ? { stdin: { kind: 'bytes', data: header } } : {}),
    // Fetching and unpacking a commit fail for the host's reasons (its network, its disk), not the commit's.
    error: 'release folder',
    cause: 'infrastructure',
    undo,
  };
}

/** Staged but never switched: the host still runs what it ran; only the new folder goes. */
export function removeReleaseStep(s: HostScope): PlanStep {
  return { id: stepId(s, 'rollback'), name: `${s.host.name}: remove release ${s.release} (never switched to)`, script: remote.removeReleaseScript(s.env.deploy.path, s.release), error: 'rollback failed' };
}

/** A user command in the new release folder (`steps`, or `{ run, once: true }` ones). */
export function userStep(s: HostScope, what: string, name: string, command: string, error: string): PlanStep {
  const uc = remote.userCommand(s.env.deploy.path, s.release, commandEnv(s), command);
  return { id: stepId(s, what), name: `${s.host.name}: ${name}`, script: uc.script, stdin: { kind: 'bytes', data: uc.stdin }, error, undo: [removeReleaseStep(s)] };
}

/** `current` to `release` (+ a revisions.log line), then the restart. */
export function switchScript(s: HostScope, release: string, commit: string, audit: string, opts: { restart?: boolean }): { script: string; stdin?: Buffer; marker: string } {
  const spec = s.env.deploy;
  const marker = `switched current to releases/${release}`;
  const parts = [`( ${remote.switchScript(spec.path, release)} ) || exit $?`, `${remote.revisionLogScript(spec.path, audit)} || exit $?`];
  parts.push(`printf '%s\\n' ${quoteArg(marker)}`);
  if (!opts.restart || !spec.restart) return { script: parts.join('; '), marker };
  const uc = remote.userCommand(spec.path, release, commandEnv(s, release, commit), spec.restart);
  return { script: `${parts.join('; ')}; ${uc.script}`, stdin: uc.stdin, marker };
}

/** The health gate of `release`, retried until its timeout; undefined without a health check. */
export function healthStep(s: HostScope, release: string, commit: string): PlanStep | undefined {
  const retry = healthRetry(s, release, commit);
  if (!retry) return undefined;
  return { id: stepId(s, 'health'), name: `${s.host.name}: health check`, script: '', retry, error: 'health check' };
}

export function healthRetry(s: HostScope, release: string, commit: string): PlanStep['retry'] {
  const hc = s.env.deploy.healthCheck;
  const vars = commandEnv(s, release, commit);
  const command = healthCommand(s.env, vars);
  if (!hc || !command) return undefined;
  const uc = remote.userCommand(s.env.deploy.path, release, vars, command);
  return { script: uc.script, stdin: uc.stdin, timeoutMs: hc.timeoutMs, intervalMs: hc.intervalMs, release };
}

/** Undo of a switch: back to the previous release (restarted, healthy), or to no `current` on a first deploy. */
export function rollbackStep(s: HostScope): PlanStep {
  const spec = s.env.deploy;
  const remove = remote.removeReleaseScript(spec.path, s.release);
  const name = `${s.host.name}: roll back${s.previous ? ` to ${s.previous}` : ''}`;
  if (!s.previous) return { id: stepId(s, 'rollback'), name, script: `${remote.unlinkCurrentScript(spec.path)} && ${remove}`, error: 'rollback failed' };
  const back = `( ${remote.switchScript(spec.path, s.previous)} ) || exit $?; ${remove} || exit $?`;
  if (!spec.restart) return { id: stepId(s, 'rollback'), name, script: back, error: 'rollback failed' };
  const commit = s.previousCommit ?? '';
  const uc = remote.userCommand(spec.path, s.previous, commandEnv(s, s.previous, commit), spec.restart);
  // A rollback is done when the old release serves again, not when its restart returned.
  const retry = healthRetry(s, s.previous, commit);
  return { id: stepId(s, 'rollback'), name, script: `${back}; ${uc.script}`, stdin: { kind: 'bytes', data: uc.stdin }, ...(retry ? { retry } : {}), error: 'rollback failed' };
}

/**
 * Release our lock (a failure leaves a lock the next deploy of this state folder releases at
 * once); after a good deploy, first the releases beyond keepReleases (`pruned`, never current or
 * previous). A failed prune only says so: the releases stay.
 */
export function unlockStep(s: Pick<HostScope, 'env' | 'host' | 'lock'>, pruned: readonly string[] = []): PlanStep {
  return { id: stepId(s, 'unlock'), name: `${s.host.name}: ${pruned.length ? `keep ${s.env.deploy.keepReleases} releases, ` : ''}release deploy lock`, script: finishScript(s, pruned), error: 'unlock' };
}

function finishScript(s: Pick<HostScope, 'env' | 'lock'>, pruned: readonly string[]): string {
  const release = releaseLockScript(s.env.deploy.path, s.lock);
  if (!pruned.length) return release;
  return `( ${remote.removeReleasesScript(s.env.deploy.path, pruned)} ) || echo 'slipway: pruning old releases failed; they stay' >&2; ${release}`;
}

/**
 * The same step, also pruning and releasing the lock when its own script (or last check)
 * succeeds. Its undo then runs on a host we no longer hold (a sibling failed after this host was
 * healthy), so every undo re-takes the lock first (withRelock).
 */
export function withUnlock(step: PlanStep, s: Pick<HostScope, 'env' | 'lock'>, pruned: readonly string[] = []): PlanStep {
  const undo = step.undo ? { undo: step.undo.map((u) => withRelock(u, s)) } : {};
  return { ...releasingAfter(step, finishScript(s, pruned)), ...undo };
}

/**
 * An undo that re-takes our lock in its first exec (free, or still ours; a newer deploy's lock
 * stops it there, changing nothing) and releases it when the undo succeeded, in its last exec.
 */
export function withRelock(step: PlanStep, s: Pick<HostScope, 'env' | 'lock'>): PlanStep {
  const take = relockScript(s.env.deploy.path, s.lock);
  const taken = { ...step, script: step.script ? `${take}; ${step.script}` : take, relock: { path: s.env.deploy.path, lock: s.lock } };
  return releasingAfter(taken, releaseLockScript(s.env.deploy.path, s.lock));
}

function releasingAfter(step: PlanStep, tail: string): PlanStep {
  if (step.retry) return { ...step, unlocks: true, retry: { ...step.retry, script: `( ${step.retry.script} ) && { ${tail}; }` } };
  return { ...step, unlocks: true, script: `( ${step.script} ) && { ${tail}; }` };
}
