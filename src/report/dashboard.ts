// index.html: the one page people keep open. Each pipeline's last run, what runs where, runs
// waiting for approval with the exact command to copy, and recent runs.

import type { RunRecord } from '../state/types.ts';
import { firstLine, pagePath, redactUrl, shortId, statusBadge, timeTag } from './format.ts';
import { approveCallout, hostLink, link, runDuration, runLink, runsTable, whereTable, type RenderContext } from './fragments.ts';
import { renderPage } from './layout.ts';
import type { ReportInput, ReportPipeline } from './types.ts';

const RECENT_RUNS = 10;

export function lastRunSummary(depth: number, run: RunRecord | undefined, p: ReportPipeline, ctx: RenderContext): string {
  const { text } = ctx;
  if (run === undefined) {
    return `<p class="muted">No runs yet. The first poll runs the head of <code>${text(p.branch)}</code>.</p>`;
  }
  const duration = runDuration(run);
  return `<p>Last run ${runLink(depth, run, ctx, `#${run.number}`)} ${statusBadge(run.status, text)}
<code>${text(shortId(run.commit.id))}</code> ${text(firstLine(run.commit.message))}
<span class="muted">by ${text(run.commit.author.name)}, ${timeTag(run.startedAt ?? run.createdAt, ctx.now, text)}${duration === '' ? '' : `, took ${text(duration)}`}</span></p>`;
}

function pipelineCard(p: ReportPipeline, ctx: RenderContext): string {
  const { text } = ctx;
  const recent = p.runs.slice(0, RECENT_RUNS);
  const more = p.runs.length > RECENT_RUNS ? `<p>${link(0, pagePath.pipeline(p.name), 'All runs')}</p>` : '';
  return `<section class="card" id="pipeline-${text(p.name)}">
<h2>${link(0, pagePath.pipeline(p.name), text(p.name))}</h2>
<p class="muted"><span class="mono">${text(redactUrl(p.repo))}</span> · branch <code>${text(p.branch)}</code></p>
${lastRunSummary(0, p.runs[0], p, ctx)}
<h3>What runs where</h3>
${whereTable(0, p, ctx)}
${recent.length === 0 ? '' : `<h3>Recent runs</h3>\n${runsTable(0, recent, ctx)}\n${more}`}
</section>`;
}

export function renderDashboard(input: ReportInput, ctx: RenderContext, hostNames: string[]): string {
  const waiting = input.pipelines.flatMap((p) => p.runs.filter((r) => r.status === 'waiting'));
  const parts: string[] = [];
  if (waiting.length > 0) {
    parts.push(`<h2>Waiting for approval</h2>\n${waiting.map((r) => approveCallout(0, r, ctx)).join('\n')}`);
  }
  if (input.pipelines.length === 0) {
    parts.push('<p class="muted">No pipelines are configured. Add one under <code>config/pipelines/</code>.</p>');
  }
  parts.push(...input.pipelines.map((p) => pipelineCard(p, ctx)));
  if (hostNames.length > 0) {
    parts.push(`<h2>Hosts</h2>\n<p>${hostNames.map((h) => hostLink(0, h, ctx)).join(' · ')}</p>`);
  }
  return renderPage({ title: ctx.title, heading: ctx.title, depth: 0, body: parts.join('\n'), generatedAt: ctx.now });
}

export function renderPipelinePage(p: ReportPipeline, ctx: RenderContext): string {
  const { text } = ctx;
  const body = `<p class="muted"><span class="mono">${text(redactUrl(p.repo))}</span> · branch <code>${text(p.branch)}</code></p>
${p.runs.filter((r) => r.status === 'waiting').map((r) => approveCallout(1, r, ctx)).join('\n')}
${lastRunSummary(1, p.runs[0], p, ctx)}
<h2>What runs where</h2>
${whereTable(1, p, ctx)}
<h2>Runs</h2>
${p.runs.length === 0 ? '<p class="muted">No runs yet.</p>' : runsTable(1, p.runs, ctx)}`;
  return renderPage({ title: ctx.title, heading: text(p.name), crumbs: ` / ${text(p.name)}`, depth: 1, body, generatedAt: ctx.now });
}
