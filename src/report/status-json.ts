// status.json beside the pages: the dashboard as data, for scripts and other dashboards.
// Its shape is versioned; paths in it are relative to the report folder.

import { doraJson, pipelineDora } from './dora-view.ts';
import { hostEntry } from '../state/host-key.ts';
import { key, maskSecrets, pagePath, redactUrl } from './format.ts';
import { approveCommand, hostDrift, type RenderContext } from './fragments.ts';
import { historyStats, lastDeployOf } from './summary.ts';
import { otherRunBranches, runsOfBranch } from './badges.ts';
import { syncOf } from './sync-view.ts';
import type { PipelineModel, ReportModel, RunSummary } from './types.ts';

export const STATUS_VERSION = 1;

function runRef(r: RunSummary): Record<string, unknown> {
  return {
    number: r.number,
    status: r.status,
    commit: r.commit,
    ...(r.branch !== undefined ? { branch: r.branch } : {}),
    subject: r.subject,
    author: r.author,
    createdAt: r.createdAt,
    startedAt: r.startedAt ?? null,
    finishedAt: r.finishedAt ?? null,
    page: key(pagePath.run(r.pipeline, r.number)),
  };
}

function pipelineStatus(p: PipelineModel, ctx: RenderContext): Record<string, unknown> {
  const stats = historyStats(p.runs);
  return {
    name: p.name,
    repo: redactUrl(p.repo),
    branch: p.branch,
    page: key(pagePath.pipeline(p.name)),
    badge: key(pagePath.pipelineBadge(p.name)),
    runs: p.digest?.count ?? p.runs.length,
    branches: [p.branch, ...otherRunBranches(p)].map((b) => {
      const last = runsOfBranch(p, b)[0];
      return { name: b, lastRun: last === undefined ? null : runRef(last), badge: key(b === p.branch ? pagePath.pipelineBadge(p.name) : pagePath.branchBadge(p.name, b)) };
    }),
    lastRun: p.runs[0] === undefined ? null : runRef(p.runs[0]),
    successRate: stats.successRate ?? null,
    medianDurationMs: stats.medianMs ?? null,
    statsOver: stats.counted,
    dora: doraJson(pipelineDora(p, ctx.now)),
    waiting: p.runs.filter((r) => r.status === 'waiting').map((r) => ({ run: r.number, environment: r.waitingAt ?? null, command: approveCommand(r) })),
    environments: p.environments.map((e) => {
      const desired = p.state.environments[e.name];
      return {
        name: e.name,
        approval: e.approval,
        commit: desired?.commit ?? null,
        deployedAt: desired?.deployedAt ?? null,
        run: desired?.run ?? null,
        badge: key(pagePath.envBadge(p.name, e.name)),
        hosts: e.hosts.map((host) => {
          const current = hostEntry(ctx.hosts.get(host), p.name, e.path ?? '')?.current;
          const last = lastDeployOf(p.runs, e.name, host);
          const sync = syncOf(ctx.hosts.get(host), p.name, e.name, e.path);
          return {
            host,
            commit: current?.commit ?? null,
            release: current?.release ?? null,
            since: current?.deployedAt ?? null,
            lastDeploy: last === undefined ? null : { run: last.run.number, status: last.deploy.status },
            desired: hostDrift(desired?.commit, current?.commit),
            // The last observation, with `status --json`'s names; nested because `since` here
            // already says since when the host runs its release. null: never observed.
            observed: sync === undefined ? null : { sync: sync.sync, reasons: sync.reasons, since: sync.since, observedAt: sync.observedAt },
          };
        }),
      };
    }),
  };
}

function stringify(value: unknown, secrets: readonly string[]): string {
  // Secrets are masked in every string, as on the pages.
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? maskSecrets(v, secrets) : v), 2);
}

/** A pipeline's entry of status.json, as JSON at the top level (renderStatusJson indents it). */
export function pipelineStatusJson(p: PipelineModel, ctx: RenderContext): string {
  return stringify(pipelineStatus(p, ctx), ctx.secrets);
}

/** Nests a value's JSON text `depth` levels deep, as JSON.stringify(…, 2) lays out a nested value. */
function nest(json: string, depth: number): string {
  return json.replaceAll('\n', `\n${'  '.repeat(depth)}`);
}

/**
 * The same text as JSON.stringify of the whole value with two-space indents (test/report/
 * pipeline-fragments.test.ts checks), made of each pipeline's entry: an update keeps the entries
 * of the pipelines it did not touch (pipeline-fragments.ts).
 */
export function renderStatusJson(model: ReportModel, ctx: RenderContext, parts: ReadonlyMap<string, { status: string }>): string {
  const s = (v: unknown): string => stringify(v, ctx.secrets);
  const entries = model.pipelines.map((p) => nest(parts.get(p.name)!.status, 2));
  const pipelines = entries.length === 0 ? '[]' : `[\n    ${entries.join(',\n    ')}\n  ]`;
  const hosts = nest(s(ctx.hostNames.map((h) => ({ name: h, page: key(pagePath.host(h)) }))), 1);
  const json = `{\n  "version": ${s(STATUS_VERSION)},\n  "generatedAt": ${s(model.generatedAt.toISOString())},\n  "title": ${s(model.title)},\n  "pipelines": ${pipelines},\n  "hosts": ${hosts}\n}`;
  // < > & as \u escapes: the same value, and harmless if someone pastes it into a page.
  return `${json.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
