import { hostEntry } from '../state/host-key.ts';
import type { Config } from '../config/types.ts';
import { loadConfig } from '../config/load.ts';
import { readPipelineState, readRuns, readHostState } from '../state/store.ts';
import { readRemoteHead } from '../git/remote.ts';
import { maskSecrets } from '../exec/mask.ts';
import { firstLine, shortSha, type Output } from '../wiring/output.ts';
import { terminalLine } from '../terminal-text.ts';
import type { SshPool } from '../ssh/pool.ts';
import { humanTime } from './human-time.ts';
import { createPool } from '../wiring/runtime.ts';
import { readHostFacts } from '../pipeline/host-facts.ts';
import { findTestedRun } from '../pipeline/promotion.ts';
import { syncFieldsOf, syncLine, type SyncFields } from './sync-fields.ts';

interface EnvView {
  name: string;
  approval: 'auto' | 'manual';
  commit?: string;
  release?: string;
  deployedAt?: string;
  hosts: Array<{ host: string; address: string; release?: string; commit?: string; differs: boolean; live?: LiveFacts } & SyncFields>;
}

/** What the host itself says right now (status --live): one SSH command per host and pipeline. */
interface LiveFacts {
  release?: string;
  commit?: string;
  lock?: { holder: string; ageSeconds: number };
  error?: string;
}

interface PipelineView {
  name: string;
  repo: string;
  branch: string;
  poll: string;
  lastSeenCommit?: string;
  lastRun?: { number: number; status: string; commit: string; message: string; finishedAt?: string };
  environments: EnvView[];
  remoteHead?: string;
  remoteError?: string;
  wouldRun?: boolean;
  /** No deploy and no environments: runs end passed or failed. */
  testOnly: boolean;
  /** `branches:` tested besides the deploy branch. */
  branches: string[];
  /** source: artifact: what `slipway deploy` would ship now (the newest tested run's artifact). */
  artifact?: { run: number; commit: string; sha256: string; bytes: number; files: number };
  byArtifact?: boolean;
}

async function readLive(pool: SshPool, host: string, path: string, secrets: string[], timeoutMs: number): Promise<LiveFacts> {
  try {
    const conn = await pool.get(host);
    const facts = await readHostFacts(conn, { path }, timeoutMs);
    return {
      ...(facts.current ? { release: facts.current } : {}),
      ...(facts.revision ? { commit: facts.revision } : {}),
      ...(facts.lock ? { lock: { holder: maskSecrets(facts.lock.holder, secrets), ageSeconds: facts.lock.ageSeconds } } : {}),
    };
  } catch (e) {
    return { error: maskSecrets(e instanceof Error ? e.message : String(e), secrets) };
  }
}

async function gather(config: Config, withRemote: boolean, pool?: SshPool): Promise<PipelineView[]> {
  const stateDir = config.settings.stateDir;
  const views: PipelineView[] = [];
  for (const p of config.pipelines) {
    const state = await readPipelineState(stateDir, p.name);
    const [last] = await readRuns(stateDir, p.name, { last: 1 });
    const environments: EnvView[] = [];
    for (const e of p.environments) {
      const desired = state.environments[e.name];
      const hosts = [];
      for (const h of e.hosts) {
        const hs = await readHostState(stateDir, h);
        const cur = hostEntry(hs, p.name, e.deploy.path)?.current;
        const live = pool ? await readLive(pool, h, e.deploy.path, config.secrets, e.deploy.commandTimeoutMs) : undefined;
        const runs = live && !live.error ? live.commit : cur?.commit;
        hosts.push({ host: h, address: config.hosts[h]?.address ?? '?', release: live && !live.error ? live.release : cur?.release, commit: runs, differs: (runs ?? '') !== (desired?.commit ?? ''), ...(live ? { live } : {}), ...syncFieldsOf(hs.sync?.[e.deploy.path], p.name, e.name) });
      }
      environments.push({ name: e.name, approval: e.approval, commit: desired?.commit, release: desired?.release, deployedAt: desired?.deployedAt, hosts });
    }
    const view: PipelineView = {
      name: p.name, repo: maskSecrets(p.repo, config.secrets), branch: p.branch, poll: p.poll, lastSeenCommit: state.lastSeenCommit, environments,
      testOnly: p.environments.length === 0, branches: p.branches.filter((b) => b !== p.branch),
    };
    if (p.environments.some((e) => e.deploy.source === 'artifact')) {
      view.byArtifact = true;
      const shipped = findTestedRun((await readRuns(stateDir, p.name, { last: 50 })).filter((r) => r.branch === p.branch));
      if (shipped?.artifact) view.artifact = { ...shipped.artifact, commit: shipped.commit.id };
    }
    if (last) view.lastRun = { number: last.number, status: last.status, commit: last.commit.id, message: firstLine(last.commit.message), finishedAt: last.finishedAt };
    if (withRemote) {
      try {
        view.remoteHead = await readRemoteHead({ url: p.repo, branch: p.branch, ...(p.auth ? { auth: p.auth } : {}) });
        view.wouldRun = view.remoteHead !== state.lastSeenCommit;
      } catch (e) {
        view.remoteError = maskSecrets(e instanceof Error ? e.message : String(e), config.secrets);
      }
    }
    views.push(view);
  }
  return views;
}

export async function statusCommand(configDir: string, opts: { json: boolean; live: boolean }, output: Output): Promise<number> {
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const pool = opts.live ? createPool(config) : undefined;
  let views: PipelineView[];
  try {
    views = await gather(config, false, pool);
  } finally {
    await pool?.closeAll();
  }
  const json = opts.json;
  if (json) {
    output.out(JSON.stringify({ version: 1, pipelines: views }, null, 2));
    return opts.live ? liveExitCode(views) : 0;
  }
  if (views.length === 0) output.out('no pipelines configured');
  const now = new Date();
  for (const v of views) {
    const ended = v.lastRun?.finishedAt ? `, finished ${humanTime(v.lastRun.finishedAt, now)}` : '';
    const run = v.lastRun ? `last run #${v.lastRun.number} ${output.status(v.lastRun.status)} ${shortSha(v.lastRun.commit)} ${terminalLine(v.lastRun.message)}${ended}` : 'no runs yet';
    output.out(`${v.name}  ${run}`);
    printEnvs(v, output, now);
  }
  return opts.live ? liveExitCode(views) : 0;
}

/**
 * status --live is for monitoring (a cron job, a Nagios check): 1 when any host runs another
 * commit than its environment should, or could not be asked; 0 when every host agrees.
 */
export function liveExitCode(views: Array<Pick<PipelineView, 'environments'>>): number {
  const bad = views.some((v) => v.environments.some((e) => e.hosts.some((h) => h.differs || h.live?.error !== undefined)));
  return bad ? 1 : 0;
}

export async function planCommand(configDir: string, json: boolean, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  const views = await gather(config, true);
  if (json) {
    output.out(JSON.stringify({ version: 1, pipelines: views }, null, 2));
    return 0;
  }
  if (views.length === 0) output.out('no pipelines configured');
  for (const v of views) {
    output.out(`${v.name}: ${v.repo} branch ${v.branch}, polled "${v.poll}"`);
    if (v.remoteError) output.out(`  remote: cannot read the branch head: ${terminalLine(v.remoteError)}`);
    else if (v.wouldRun) output.out(`  remote: ${shortSha(v.remoteHead)} is new: a run would test it and deploy it to ${v.environments.map((e) => e.name).join(' → ') || 'no environment'}`);
    else output.out(`  remote: ${shortSha(v.remoteHead)}, already seen: nothing to do`);
    if (v.testOnly) output.out('  test-only: no deploy and no environments; runs end passed or failed');
    if (v.branches.length > 0) output.out(`  also tests (never deploys) branches: ${v.branches.map(terminalLine).join(', ')}`);
    if (v.artifact) {
      output.out(`  artifact: slipway deploy would ship run #${v.artifact.run}'s artifact of ${shortSha(v.artifact.commit)}: sha256 ${v.artifact.sha256}, ${v.artifact.files} files, ${v.artifact.bytes} bytes; a new commit is built once and its artifact shipped to every environment`);
    } else if (v.byArtifact) {
      output.out('  artifact: none built yet; the next run builds and packs it once');
    }
    printEnvs(v, output);
  }
  return 0;
}

function printEnvs(v: PipelineView, output: Output, now = new Date()): void {
  for (const e of v.environments) {
    output.out(`  ${e.name}${e.approval === 'manual' ? ' (manual approval)' : ''}: ${e.commit ? `${shortSha(e.commit)} (${e.release}, since ${humanTime(e.deployedAt, now)})` : 'nothing deployed yet'}`);
    for (const h of e.hosts) {
      const lock = h.live?.lock ? `  [deploy lock held by ${h.live.lock.holder}, ${h.live.lock.ageSeconds} s]` : '';
      const unreachable = h.live?.error ? `  (live: ${h.live.error}; showing the recorded state)` : '';
      output.out(`    ${h.host} ${h.address}: ${h.release ? `${shortSha(h.commit)} ${h.release}` : '-'}${h.differs ? '  (differs from the environment)' : ''}${lock}${unreachable}`);
      for (const line of syncLine(h, now)) output.out(`      ${terminalLine(line)}`);
    }
  }
}
