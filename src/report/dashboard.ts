// index.html: the one page people keep open. Runs waiting for approval first (with the exact
// command to copy), then every pipeline's last run, then what runs where, then recent runs.

import { renderDoraTable } from './dora-view.ts';
import { compareNames, formatDuration, pagePath, shortId, statusBadge, timeTag } from './format.ts';
import { approveCallout, hostLink, link, pipelineLink, runDuration, runLink, runsTable, whereTable, type RenderContext } from './fragments.ts';
import { renderPage, table } from './layout.ts';
import { driftCallout } from './sync-view.ts';
import type { PipelineFragments } from './pipeline-fragments.ts';
import { historyStats } from './summary.ts';
import type { PipelineModel, ReportModel, RunSummary } from './types.ts';

const RECENT_RUNS = 15;

export function percent(rate: number | undefined): string {
  return rate === undefined ? '' : `${Math.round(rate * 100)}%`;
}

/** Its row of the Pipelines table (cells). */
export function pipelineRow(p: PipelineModel, ctx: RenderContext): string[] {
  const { text } = ctx;
  const run = p.runs[0];
  const stats = historyStats(p.runs);
  if (run === undefined) {
    return [pipelineLink(0, p.name, ctx), '<span class="muted">no runs yet</span>', '', `<span class="muted">first poll runs the head of <code>${text(p.branch)}</code></span>`, '', '', '', ''];
  }
  return [
    pipelineLink(0, p.name, ctx),
    `${runLink(0, run, ctx, `#${run.number}`)} ${statusBadge(run.status, text)}`,
    `<code>${text(shortId(run.commit))}</code>`,
    text(run.subject),
    text(run.author),
    timeTag(run.startedAt ?? run.createdAt, text),
    text(runDuration(run)),
    stats.counted === 0 ? '' : `${percent(stats.successRate)} <span class="muted">of ${stats.counted}</span>`,
  ];
}

function recentRuns(model: ReportModel): RunSummary[] {
  return model.pipelines
    .flatMap((p) => p.runs.slice(0, RECENT_RUNS))
    .sort((a, b) => (b.createdAt < a.createdAt ? -1 : b.createdAt > a.createdAt ? 1 : compareNames(a.pipeline, b.pipeline)))
    .slice(0, RECENT_RUNS);
}

/** Its card of "What runs where"; '' for a pipeline that only tests. */
export function whereCard(p: PipelineModel, ctx: RenderContext): string {
  if (p.environments.length === 0) return '';
  return `<section class="card" id="where-${ctx.text(p.name)}"><h3>${pipelineLink(0, p.name, ctx)}</h3>\n${whereTable(0, p, ctx)}\n</section>`;
}

/** `pieces`: each pipeline's own (pipeline-fragments.ts), rendered or kept from its digest. */
export function renderDashboard(model: ReportModel, ctx: RenderContext, pieces: ReadonlyMap<string, PipelineFragments>): string {
  const part = (p: PipelineModel): PipelineFragments => pieces.get(p.name)!;
  const parts: string[] = [];
  const drift = driftCallout(model.pipelines, ctx);
  if (drift !== '') parts.push(drift);
  const waiting = model.pipelines.flatMap((p) => p.runs.filter((r) => r.status === 'waiting'));
  if (waiting.length > 0) {
    parts.push(`<h2>Waiting for approval</h2>\n${waiting.map((r) => approveCallout(0, r, ctx)).join('\n')}`);
  }
  if (model.pipelines.length === 0) {
    parts.push('<p class="muted">No pipelines are configured. Add one under <code>config/pipelines/</code>.</p>');
  } else {
    const classes = ['', '', '', 'msg', 'hide-narrow', '', 'hide-narrow', 'hide-narrow'];
    parts.push(`<h2>Pipelines</h2>\n${table(['Pipeline', 'Last run', 'Commit', 'Message', 'Author', 'Started', 'Duration', 'Success'], model.pipelines.map((p) => part(p).row), { classes })}`);
  }
  const deploying = model.pipelines.filter((p) => p.environments.length > 0);
  if (deploying.length > 0) {
    parts.push('<h2>What runs where</h2>');
    for (const p of deploying) parts.push(part(p).card);
  }
  const dora = renderDoraTable(deploying.flatMap((p) => part(p).dora));
  if (dora !== '') parts.push(dora);
  const recent = recentRuns(model);
  if (recent.length > 0) parts.push(`<h2>Recent runs</h2>\n${runsTable(0, recent, ctx, { pipeline: true })}`);
  if (ctx.hostNames.length > 0) {
    parts.push(`<h2>Hosts</h2>\n<p>${ctx.hostNames.map((h) => hostLink(0, h, ctx)).join(' · ')}</p>`);
  }
  return renderPage({ title: ctx.title, heading: ctx.title, depth: 0, body: parts.join('\n'), generatedAt: ctx.now });
}

export function statsLine(p: PipelineModel): string {
  const stats = historyStats(p.runs);
  const items = [`<span><b>${p.runs.length}</b>runs</span>`];
  if (stats.counted > 0) {
    items.push(`<span><b>${percent(stats.successRate)}</b>success over the last ${stats.counted}</span>`);
    if (stats.medianMs !== undefined) items.push(`<span><b>${formatDuration(stats.medianMs)}</b>median duration</span>`);
  }
  return `<div class="stats">${items.join('')}</div>`;
}
