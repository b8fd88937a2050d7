// Pieces shared by several pages: the render context, the runs table, the "what runs where"
// table and the approve call-out.

import { hostEntry } from '../state/host-key.ts';
import type { HostState } from '../state/types.ts';
import { compareNames, durationBetween, escapeHtml, href, pagePath, shellWord, shortId, statusBadge, textFor, timeTag, type Text } from './format.ts';
import { table } from './layout.ts';
import { lastDeployOf } from './summary.ts';
import type { PipelineModel, ReportModel, RunSummary } from './types.ts';
import { hostOutcomeHealth, isChosenRollback, type Tone } from './health.ts';
import { driftRank, syncCell, syncOf } from './sync-view.ts';

const TONE_CLASS: Record<Tone, string> = { ok: 'ok', warn: 'warn', bad: 'differs', idle: 'muted' };

export interface RenderContext {
  text: Text;
  now: Date;
  /** The report title, masked and escaped. */
  title: string;
  secrets: readonly string[];
  hosts: Map<string, HostState>;
  /** Every host with a page: named by an environment or holding a state file, sorted. */
  hostNames: string[];
  pipelines: Map<string, PipelineModel>;
  /** Run numbers with a page, per pipeline. */
  runPages: Map<string, Set<number>>;
}

/** Every host named by an environment or holding a state file, sorted. */
export function reportHostNames(model: Pick<ReportModel, 'hosts' | 'pipelines'>): string[] {
  const names = new Set<string>(model.hosts.map((h) => h.host));
  for (const p of model.pipelines) for (const e of p.environments) for (const h of e.hosts) names.add(h);
  return [...names].sort(compareNames);
}

export function contextFor(model: ReportModel): RenderContext {
  const text = textFor(model.secrets);
  return {
    text,
    now: model.generatedAt,
    title: text(model.title),
    secrets: model.secrets,
    hosts: new Map(model.hosts.map((h) => [h.host, h])),
    hostNames: reportHostNames(model),
    pipelines: new Map(model.pipelines.map((p) => [p.name, p])),
    runPages: new Map(model.pipelines.map((p) => [p.name, new Set(p.digest?.numbers ?? p.runs.map((r) => r.number))])),
  };
}

/** An escaped href from a page `depth` folders deep to another page. */
export function link(depth: number, segments: string[], label: string, attrs = ''): string {
  return `<a href="${escapeHtml(href(depth, ...segments))}"${attrs}>${label}</a>`;
}

export function runLink(depth: number, run: { pipeline: string; number: number }, ctx: RenderContext, label?: string): string {
  const text = label ?? `${ctx.text(run.pipeline)} #${run.number}`;
  return ctx.runPages.get(run.pipeline)?.has(run.number) ? link(depth, pagePath.run(run.pipeline, run.number), text) : text;
}

export function pipelineLink(depth: number, name: string, ctx: RenderContext): string {
  return ctx.pipelines.has(name) ? link(depth, pagePath.pipeline(name), ctx.text(name)) : ctx.text(name);
}

export function hostLink(depth: number, host: string, ctx: RenderContext): string {
  return ctx.hostNames.includes(host) ? link(depth, pagePath.host(host), ctx.text(host)) : ctx.text(host);
}

export function runDuration(run: { startedAt?: string; finishedAt?: string }): string {
  return durationBetween(run.startedAt, run.finishedAt);
}

/** `cells`: a run's cells made once for several tables of the same depth (a pipeline's pages). */
export function runsTable(depth: number, runs: readonly RunSummary[], ctx: RenderContext, opts: { pipeline?: boolean; cells?: Map<RunSummary, string[]> } = {}): string {
  const { text } = ctx;
  const memo = opts.cells;
  const cells = (run: RunSummary): string[] => {
    if (memo === undefined) return rowOf(run);
    return memo.get(run) ?? memo.set(run, rowOf(run)).get(run)!;
  };
  const rowOf = (run: RunSummary): string[] => [
    ...(opts.pipeline ? [pipelineLink(depth, run.pipeline, ctx)] : []),
    runLink(depth, run, ctx, `#${run.number}`),
    statusBadge(run.status, text),
    `<code>${text(shortId(run.commit))}</code>${branchLabel(run, ctx)}`,
    text(run.subject),
    text(run.author),
    timeTag(run.startedAt ?? run.createdAt, text),
    text(runDuration(run)),
  ];
  const rows = runs.map(cells);
  const headers = [...(opts.pipeline ? ['Pipeline'] : []), 'Run', 'Status', 'Commit', 'Message', 'Author', 'Started', 'Duration'];
  const classes = [...(opts.pipeline ? [''] : []), '', '', '', 'msg', 'hide-narrow', '', 'hide-narrow'];
  return table(headers, rows, { classes });
}

/** A run of a branch other than the deploy branch says which (branch names are repo data: escaped). */
function branchLabel(run: RunSummary, ctx: RenderContext): string {
  const deploy = ctx.pipelines.get(run.pipeline)?.branch;
  return run.branch === undefined || run.branch === deploy ? '' : ` <span class="muted">on <code>${ctx.text(run.branch)}</code></span>`;
}

export function approveCommand(run: { pipeline: string; number: number }): string {
  return `slipway approve ${shellWord(run.pipeline)} ${run.number}`;
}

export function approveCallout(depth: number, run: RunSummary, ctx: RenderContext): string {
  const { text } = ctx;
  const where = run.waitingAt === undefined ? 'to go on' : `to deploy to ${text(run.waitingAt)}`;
  return `<div class="waiting"><strong>${runLink(depth, run, ctx)}</strong> (commit <code>${text(shortId(run.commit))}</code> ${text(run.subject)})
waits for approval ${where}. To approve, run: <code class="copy">${text(approveCommand(run))}</code></div>`;
}

/** How a host compares with what its environment should run. */
export function hostDrift(desired: string | undefined, current: string | undefined): 'matches' | 'differs' | 'missing' | 'none' {
  if (desired === undefined) return current === undefined ? 'none' : 'matches';
  if (current === undefined) return 'missing';
  return current === desired ? 'matches' : 'differs';
}

/** Environment × host: what each host runs for this pipeline, since when, its health at the last deploy, against what its environment should run. */
export function whereTable(depth: number, p: PipelineModel, ctx: RenderContext): string {
  const { text } = ctx;
  if (p.environments.length === 0) return '<p class="muted">No environments: this pipeline only tests.</p>';
  const rows: string[][] = [];
  for (const env of p.environments) {
    const envState = p.state.environments[env.name];
    const envCell =
      `<strong>${text(env.name)}</strong>${env.approval === 'manual' ? ' <span class="muted">(manual approval)</span>' : ''}` +
      (envState === undefined ? '<br><span class="muted">nothing deployed yet</span>' : `<br>should run <code>${text(shortId(envState.commit))}</code>`);
    if (env.hosts.length === 0) rows.push([envCell, '<span class="muted">no hosts</span>', '', '', '', '', '', '2']);
    for (const host of env.hosts) {
      const current = hostEntry(ctx.hosts.get(host), p.name, env.path ?? '')?.current;
      const runs = current === undefined ? '<span class="muted">nothing</span>' : `<code>${text(shortId(current.commit))}</code> <span class="mono hide-narrow">${text(current.release)}</span>`;
      const since = current === undefined ? '' : timeTag(current.deployedAt, text);
      const last = lastDeployOf(p.runs, env.name, host);
      const verdict = last === undefined ? undefined : hostOutcomeHealth(last.deploy.status, isChosenRollback(last.run, env.name));
      const health =
        last === undefined || verdict === undefined
          ? '<span class="muted">no deploy recorded</span>'
          : `<span class="${TONE_CLASS[verdict.tone]}">${text(verdict.word)}</span> in ${runLink(depth, last.run, ctx, `#${last.run.number}`)}`;
      const drift = hostDrift(envState?.commit, current?.commit);
      const note =
        drift === 'matches'
          ? '<span class="ok">matches</span>'
          : drift === 'differs'
            ? `<span class="differs">differs from ${text(env.name)} (<code>${text(shortId(envState?.commit))}</code>)</span>`
            : drift === 'missing'
              ? '<span class="differs">not deployed</span>'
              : '';
      const sync = syncOf(ctx.hosts.get(host), p.name, env.name, env.path);
      rows.push([envCell, hostLink(depth, host, ctx), runs, since, health, note, envState === undefined && !sync ? '' : syncCell(sync, ctx), String(driftRank(sync))]);
    }
  }
  // Drifted hosts first (stable: config order within each rank); the rank column is not shown.
  const ordered = rows.map((r, i) => ({ r, i })).sort((a, b) => Number(a.r.at(-1) ?? 2) - Number(b.r.at(-1) ?? 2) || a.i - b.i).map(({ r }) => r.slice(0, -1));
  return table(['Environment', 'Host', 'Runs now', 'Since', 'Health at last deploy', 'Desired', 'Sync now'], ordered);
}
