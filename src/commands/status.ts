import type { Config } from '../config/types.ts';
import { loadConfig } from '../config/load.ts';
import { readPipelineState, readRuns, readHostState } from '../state/store.ts';
import { readRemoteHead } from '../git/remote.ts';
import { maskSecrets } from '../exec/mask.ts';
import { firstLine, shortSha, type Output } from './output.ts';

interface EnvView {
  name: string;
  approval: 'auto' | 'manual';
  commit?: string;
  release?: string;
  deployedAt?: string;
  hosts: Array<{ host: string; address: string; release?: string; commit?: string; differs: boolean }>;
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
}

async function gather(config: Config, withRemote: boolean): Promise<PipelineView[]> {
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
        const cur = (await readHostState(stateDir, h)).pipelines[p.name]?.current;
        hosts.push({ host: h, address: config.hosts[h]?.address ?? '?', release: cur?.release, commit: cur?.commit, differs: (cur?.commit ?? '') !== (desired?.commit ?? '') });
      }
      environments.push({ name: e.name, approval: e.approval, commit: desired?.commit, release: desired?.release, deployedAt: desired?.deployedAt, hosts });
    }
    const view: PipelineView = { name: p.name, repo: maskSecrets(p.repo, config.secrets), branch: p.branch, poll: p.poll, lastSeenCommit: state.lastSeenCommit, environments };
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

export async function statusCommand(configDir: string, json: boolean, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  const views = await gather(config, false);
  if (json) {
    output.out(JSON.stringify({ version: 1, pipelines: views }, null, 2));
    return 0;
  }
  if (views.length === 0) output.out('no pipelines configured');
  for (const v of views) {
    const run = v.lastRun ? `last run #${v.lastRun.number} ${output.status(v.lastRun.status)} ${shortSha(v.lastRun.commit)} ${v.lastRun.message}` : 'no runs yet';
    output.out(`${v.name}  ${run}`);
    printEnvs(v, output);
  }
  return 0;
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
    if (v.remoteError) output.out(`  remote: cannot read the branch head: ${v.remoteError}`);
    else if (v.wouldRun) output.out(`  remote: ${shortSha(v.remoteHead)} is new: a run would test it and deploy it to ${v.environments.map((e) => e.name).join(' → ') || 'no environment'}`);
    else output.out(`  remote: ${shortSha(v.remoteHead)}, already seen: nothing to do`);
    printEnvs(v, output);
  }
  return 0;
}

function printEnvs(v: PipelineView, output: Output): void {
  for (const e of v.environments) {
    output.out(`  ${e.name}${e.approval === 'manual' ? ' (manual approval)' : ''}: ${e.commit ? `${shortSha(e.commit)} (${e.release}, since ${e.deployedAt})` : 'nothing deployed yet'}`);
    for (const h of e.hosts) {
      output.out(`    ${h.host} ${h.address}: ${h.release ? `${shortSha(h.commit)} ${h.release}` : '-'}${h.differs ? '  (differs from the environment)' : ''}`);
    }
  }
}
