// pipelines/NAME/*.html: a pipeline's run history, newest first, PAGE_SIZE runs a page, for all
// runs and for each status that occurs (failed.html, deployed-page-2.html, ...), with the
// success rate and median duration, what runs where and its badges.

import type { RunStatus } from '../state/types.ts';
import { escapeHtml, href, key, pagePath, redactUrl, type RunFilter } from './format.ts';
import { statsLine } from './dashboard.ts';
import { renderDora } from './dora-view.ts';
import { approveCallout, link, runsTable, whereTable, type RenderContext } from './fragments.ts';
import { renderPage } from './layout.ts';
import type { PipelineModel, RunSummary } from './types.ts';

export const PAGE_SIZE = 25;
const DEPTH = 2;

/** The order filters are offered in; only statuses that occur get a page. */
const FILTER_ORDER: RunStatus[] = ['failed', 'deployed', 'passed', 'waiting', 'running', 'queued', 'interrupted', 'superseded', 'cancelled'];

function filtersOf(p: PipelineModel): Array<{ filter: RunFilter; runs: RunSummary[] }> {
  const out: Array<{ filter: RunFilter; runs: RunSummary[] }> = [{ filter: 'all', runs: p.runs }];
  for (const status of FILTER_ORDER) {
    const runs = p.runs.filter((r) => r.status === status);
    if (runs.length > 0) out.push({ filter: status, runs });
  }
  return out;
}

export function pageCount(runs: number): number {
  return Math.max(1, Math.ceil(runs / PAGE_SIZE));
}

function badges(p: PipelineModel, ctx: RenderContext): string {
  const img = (segments: string[], alt: string): string =>
    `<img class="badge" src="${escapeHtml(href(DEPTH, ...segments))}" alt="${alt}" height="20">`;
  const items = [img(pagePath.pipelineBadge(p.name), `${ctx.text(p.name)} status`)];
  for (const e of p.environments) items.push(img(pagePath.envBadge(p.name, e.name), `${ctx.text(e.name)} deploy`));
  return `<p>${items.join(' ')} <span class="muted">(badges: <span class="mono">${ctx.text(pagePath.pipelineBadge(p.name).join('/'))}</span>)</span></p>`;
}

function filterNav(p: PipelineModel, current: RunFilter, filters: ReturnType<typeof filtersOf>): string {
  const items = filters.map(({ filter, runs }) => {
    const label = `${filter} (${runs.length})`;
    return filter === current ? link(DEPTH, pagePath.pipeline(p.name, filter), label, ' aria-current="page"') : link(DEPTH, pagePath.pipeline(p.name, filter), label);
  });
  return `<nav class="filters" aria-label="Filter by status">Show: ${items.join(' ')}</nav>`;
}

function pager(p: PipelineModel, filter: RunFilter, page: number, pages: number): string {
  if (pages <= 1) return '';
  const to = (n: number, label: string, attrs = ''): string => link(DEPTH, pagePath.pipeline(p.name, filter, n), label, attrs);
  const items: string[] = [];
  if (page > 1) items.push(to(page - 1, '← newer', ' rel="prev"'));
  for (let n = 1; n <= pages; n++) items.push(n === page ? to(n, String(n), ' aria-current="page"') : to(n, String(n)));
  if (page < pages) items.push(to(page + 1, 'older →', ' rel="next"'));
  return `<nav class="pages" aria-label="Pages">${items.join(' ')}</nav>`;
}

/** Every page of one pipeline's history, by report-relative path. */
export function renderPipelinePages(p: PipelineModel, ctx: RenderContext): Map<string, string> {
  const { text } = ctx;
  const files = new Map<string, string>();
  const filters = filtersOf(p);
  // Each run is listed twice (all runs, and the runs of its status): its cells are made once.
  const cells = new Map<RunSummary, string[]>();
  const head = `<p class="muted"><span class="mono">${text(redactUrl(p.repo))}</span> · branch <code>${text(p.branch)}</code></p>
${statsLine(p)}`;
  for (const { filter, runs } of filters) {
    const pages = pageCount(runs.length);
    for (let page = 1; page <= pages; page++) {
      const shown = runs.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      const first = filter === 'all' && page === 1;
      const from = (page - 1) * PAGE_SIZE + 1;
      const range = runs.length === 0 ? '' : ` <span class="muted">${from}–${from + shown.length - 1} of ${runs.length}, newest first</span>`;
      const body = `${head}
${first ? p.runs.filter((r) => r.status === 'waiting').map((r) => approveCallout(DEPTH, r, ctx)).join('\n') : ''}
${first ? `<h2>What runs where</h2>\n${whereTable(DEPTH, p, ctx)}\n${badges(p, ctx)}\n${renderDora(p, ctx)}` : ''}
<h2>${filter === 'all' ? 'Runs' : `Runs: ${text(filter)}`}${range}</h2>
${filterNav(p, filter, filters)}
${shown.length === 0 ? '<p class="muted">No runs yet.</p>' : runsTable(DEPTH, shown, ctx, { cells })}
${pager(p, filter, page, pages)}`;
      const crumbs = ` / ${text(p.name)}${filter === 'all' ? '' : ` / ${text(filter)}`}${page > 1 ? ` / page ${page}` : ''}`;
      const html = renderPage({ title: ctx.title, heading: text(p.name), crumbs, depth: DEPTH, body, generatedAt: ctx.now });
      files.set(key(pagePath.pipeline(p.name, filter, page)), html);
    }
  }
  return files;
}
