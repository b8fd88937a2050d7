// The timeline bar of a run page: one row per stage and step, a bar from its start to its end on
// the run's time axis. Bars are inline SVG with x/width attributes, because the CSP forbids style
// attributes; colours come from classes in app.css.

import type { RunRecord } from '../state/types.ts';
import { formatDuration } from './format.ts';
import type { RenderContext } from './fragments.ts';

const WIDTH = 1000;

interface Span {
  label: string;
  status: string;
  start?: string;
  end?: string;
  indent: boolean;
}

function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

export function renderTimeline(run: RunRecord, ctx: RenderContext): string {
  const spans: Span[] = [];
  for (const stage of run.stages) {
    spans.push({ label: stage.name, status: stage.status, start: stage.startedAt, end: stage.finishedAt, indent: false });
    for (const step of stage.steps) spans.push({ label: step.name, status: step.status, start: step.startedAt, end: step.finishedAt, indent: true });
  }
  const t0 = ms(run.startedAt) ?? Math.min(...spans.map((s) => ms(s.start) ?? Infinity));
  // A run still going ends "now" on the axis: the time this page was rendered.
  const t1 = ms(run.finishedAt) ?? Math.max(ctx.now.getTime(), ...spans.map((s) => ms(s.end) ?? -Infinity));
  const timed = spans.filter((s) => ms(s.start) !== undefined);
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0 || timed.length === 0) return '';
  const rows = timed.map((s) => {
    const start = ms(s.start)!;
    const end = ms(s.end) ?? t1;
    const x = Math.max(0, Math.min(WIDTH, ((start - t0) / (t1 - t0)) * WIDTH));
    const w = Math.max(2, Math.min(WIDTH - x, ((end - start) / (t1 - t0)) * WIDTH));
    const took = s.end === undefined ? s.status : formatDuration(end - start);
    const label = `${s.indent ? '<span class="muted">· </span>' : '<strong>'}${ctx.text(s.label)}${s.indent ? '' : '</strong>'}`;
    return `<span>${label}</span><svg viewBox="0 0 ${WIDTH} 10" preserveAspectRatio="none" role="img" aria-label="${ctx.text(`${s.label}: ${s.status}`)}"><rect class="tl-${ctx.text(s.status)}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="10"/></svg><span class="muted">${ctx.text(took)}</span>`;
  });
  return `<div class="timeline">\n${rows.join('\n')}\n</div>`;
}
