// DORA numbers and three small charts (deploys per day, lead time per deploy, run durations) for
// the dashboard and pipeline pages. Charts are inline SVG with x/y/width/height attributes and
// classes (the CSP forbids style attributes); each has a text alternative.

import { computeDora, type DoraEnvironment, type DoraNumbers } from './dora.ts';
import { formatDuration } from './format.ts';
import type { RenderContext } from './fragments.ts';
import { table } from './layout.ts';
import { durationMs } from './summary.ts';
import type { PipelineModel } from './types.ts';

// One render asks three times per pipeline (dashboard, pipeline page, status.json): computed once
// per runs list and render time.
const computed = new WeakMap<readonly unknown[], { now: number; result: DoraEnvironment[] }>();

/** DORA per environment of a pipeline, from its run summaries. */
export function pipelineDora(p: PipelineModel, now: Date): DoraEnvironment[] {
  const hit = computed.get(p.runs);
  if (hit && hit.now === now.getTime()) return hit.result;
  const result = computeDora(p.runs.flatMap((r) => r.dora ?? []), p.environments.map((e) => e.name), now);
  computed.set(p.runs, { now: now.getTime(), result });
  return result;
}

function bars(values: number[], label: string, cls: string): string {
  const W = 300;
  const H = 40;
  const max = Math.max(1, ...values);
  const w = W / Math.max(1, values.length);
  const rects = values.map((v, i) => {
    const h = v === 0 ? 0 : Math.max(1.5, (v / max) * H);
    return `<rect class="${cls}" x="${(i * w + 0.5).toFixed(1)}" y="${(H - h).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${h.toFixed(1)}"/>`;
  });
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${label}"><rect class="chart-bg" x="0" y="0" width="${W}" height="${H}"/>${rects.join('')}</svg>`;
}

function rate(r: number | null): string {
  return r === null ? '–' : `${Math.round(r * 100)}%`;
}

function dur(ms: number | null): string {
  return ms === null ? '–' : formatDuration(ms);
}

function windowCells(w: DoraNumbers): string[] {
  return [
    `${w.deploys} <span class="muted">(${w.deploysPerDay}/day)</span>`,
    dur(w.leadTimeMs),
    `${rate(w.changeFailureRate)} <span class="muted">${w.failures}/${w.attempts}</span>`,
    dur(w.timeToRestoreMs),
  ];
}

/** The DORA section of a pipeline: a table of the 7/30/90-day numbers per environment, and charts. */
export function renderDora(p: PipelineModel, ctx: RenderContext, opts: { heading?: string } = {}): string {
  const envs = pipelineDora(p, ctx.now);
  if (envs.length === 0) return '';
  const { text } = ctx;
  const rows: string[][] = [];
  for (const e of envs) for (const w of e.windows) rows.push([text(e.environment), `${w.days} days`, ...windowCells(w)]);
  const charts = envs.map((e) => {
    const total = e.deploysPerDay.reduce((a, b) => a + b, 0);
    const leads = e.leadTimes.slice(-30).map((l) => l.ms);
    return `<figure class="dora-chart"><figcaption>${text(e.environment)}: deploys per day, 30 days (${total})</figcaption>${bars(e.deploysPerDay, text(`${e.environment}: ${total} deploys in 30 days`), 'c-deploy')}</figure>
<figure class="dora-chart"><figcaption>${text(e.environment)}: lead time of the last ${leads.length} deploys</figcaption>${bars(leads, text(`${e.environment}: lead times, median ${dur(e.windows[2]!.leadTimeMs)}`), 'c-lead')}</figure>`;
  });
  const durations = p.runs.slice(0, 30).reverse().map((r) => durationMs(r.startedAt, r.finishedAt) ?? 0);
  charts.push(`<figure class="dora-chart"><figcaption>Run durations, last ${durations.length} runs</figcaption>${bars(durations, text(`run durations of the last ${durations.length} runs`), 'c-run')}</figure>`);
  const heading = opts.heading ?? 'Delivery (DORA)';
  return `<h2>${heading}</h2>
${table(['Environment', 'Over', 'Deploys', 'Lead time', 'Change failures', 'Time to restore'], rows, { classes: ['', 'muted', '', '', '', ''] })}
<div class="dora-charts">
${charts.join('\n')}
</div>`;
}

/** The numbers as data (status.json, slipway stats --json). */
export function doraJson(envs: DoraEnvironment[]): Record<string, unknown> {
  return Object.fromEntries(envs.map((e) => [e.environment, { windows: e.windows, deploysPerDay: e.deploysPerDay }]));
}

/** A pipeline's rows of the dashboard's DORA table: each environment over 30 days, with its deploys-per-day chart. */
export function doraSummaryRows(p: PipelineModel, ctx: RenderContext, link: (name: string) => string): string[][] {
  return pipelineDora(p, ctx.now).map((e) => {
    const w = e.windows[1]!;
    const total = e.deploysPerDay.reduce((a, b) => a + b, 0);
    return [`${link(p.name)} · ${ctx.text(e.environment)}`, ...windowCells(w), bars(e.deploysPerDay, ctx.text(`${p.name} ${e.environment}: ${total} deploys in 30 days`), 'c-deploy')];
  });
}

/** The dashboard's DORA table from every pipeline's rows (doraSummaryRows); '' without any. */
export function renderDoraTable(rows: string[][]): string {
  if (rows.length === 0) return '';
  return `<h2>Delivery, last 30 days <span class="muted">(DORA)</span></h2>
${table(['Environment', 'Deploys', 'Lead time', 'Change failures', 'Time to restore', 'Deploys per day'], rows, { classes: ['', '', '', '', '', 'chart-cell'] })}`;
}
