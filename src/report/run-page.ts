// runs/NAME/N.html: one run in full: the commit, every stage and step, and each step's log.

import type { HostOutcome, RunRecord, StageRecord, StepRecord } from '../state/types.ts';
import { cleanLog, durationBetween, pagePath, statusBadge, timeTag } from './format.ts';
import { approveCallout, hostLink, link, runDuration, type RenderContext } from './fragments.ts';
import { renderPage, table } from './layout.ts';
import { logKey, type ReportInput } from './types.ts';

const DEPTH = 2;

function facts(pairs: Array<[string, string]>): string {
  const items = pairs.filter(([, v]) => v !== '').map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`);
  return `<dl class="facts">${items.join('')}</dl>`;
}

function stepLog(run: RunRecord, step: StepRecord, input: ReportInput, ctx: RenderContext): string {
  const log = input.logs.get(logKey(run.pipeline, run.number, step.id));
  if (log === undefined) return '';
  const shown = Buffer.byteLength(log.text);
  const cut = log.truncated ? `<p class="muted">… ${log.size - shown} bytes truncated, showing the tail</p>\n` : '';
  // Open where people look first: a failure, or a step still going.
  const open = step.status === 'failed' || step.status === 'running' ? ' open' : '';
  return `<details${open}><summary>Log (${log.size} bytes)</summary>
${cut}<pre>${ctx.text(cleanLog(log.text))}</pre></details>`;
}

function stepBlock(run: RunRecord, step: StepRecord, input: ReportInput, ctx: RenderContext): string {
  const { text } = ctx;
  const meta = [
    step.host === undefined ? '' : `on ${hostLink(DEPTH, step.host, ctx)}`,
    step.exitCode === undefined ? '' : `exit code ${step.exitCode}`,
    step.startedAt === undefined ? '' : `started ${timeTag(step.startedAt, ctx.now, text)}`,
    text(durationBetween(step.startedAt, step.finishedAt)),
  ].filter((s) => s !== '');
  return `<div class="step" id="step-${text(step.id)}">
<p>${statusBadge(step.status, text)} <strong>${text(step.name)}</strong> <span class="muted">${meta.join(' · ')}</span></p>
${step.error === undefined ? '' : `<p class="error">${text(step.error)}</p>`}
${stepLog(run, step, input, ctx)}
</div>`;
}

function hostsTable(hosts: HostOutcome[], ctx: RenderContext): string {
  const { text } = ctx;
  const rows = hosts.map((h) => [
    hostLink(DEPTH, h.host, ctx),
    statusBadge(h.status, text),
    `<span class="mono">${text(h.release)}</span>`,
    `<span class="mono">${text(h.previousRelease)}</span>`,
    h.error === undefined ? '' : `<span class="error">${text(h.error)}</span>`,
  ]);
  return table(['Host', 'Outcome', 'Release', 'Previous release', 'Error'], rows);
}

function stageBlock(run: RunRecord, stage: StageRecord, input: ReportInput, ctx: RenderContext): string {
  const { text } = ctx;
  const timing = [
    stage.startedAt === undefined ? '' : `started ${timeTag(stage.startedAt, ctx.now, text)}`,
    text(durationBetween(stage.startedAt, stage.finishedAt)),
  ].filter((s) => s !== '');
  return `<section class="card">
<h3>${text(stage.name)} ${statusBadge(stage.status, text)} <span class="muted">${timing.join(' · ')}</span></h3>
${stage.error === undefined ? '' : `<p class="error">${text(stage.error)}</p>`}
${stage.hosts === undefined || stage.hosts.length === 0 ? '' : hostsTable(stage.hosts, ctx)}
${stage.steps.length === 0 ? '<p class="muted">No steps.</p>' : stage.steps.map((s) => stepBlock(run, s, input, ctx)).join('\n')}
</section>`;
}

export function renderRunPage(run: RunRecord, input: ReportInput, ctx: RenderContext): string {
  const { text } = ctx;
  const c = run.commit;
  const body = `${run.status === 'waiting' ? approveCallout(DEPTH, run, ctx) : ''}
<p>${statusBadge(run.status, text)}${run.error === undefined ? '' : ` <span class="error">${text(run.error)}</span>`}</p>
${facts([
  ['Commit', `<code>${text(c.id)}</code>`],
  ['Branch', `<code>${text(run.branch)}</code>`],
  ['Author', `${text(c.author.name)} <span class="muted">&lt;${text(c.author.email)}&gt;</span>`],
  ['Committed', timeTag(c.time, ctx.now, text)],
  ['Trigger', text(run.trigger)],
  ['Queued', timeTag(run.createdAt, ctx.now, text)],
  ['Started', timeTag(run.startedAt, ctx.now, text)],
  ['Finished', timeTag(run.finishedAt, ctx.now, text)],
  ['Duration', text(runDuration(run))],
])}
<pre class="message">${text(c.message)}</pre>
<h2>Stages</h2>
${run.stages.length === 0 ? '<p class="muted">No stage has started yet.</p>' : run.stages.map((s) => stageBlock(run, s, input, ctx)).join('\n')}`;
  const crumbs = ` / ${link(DEPTH, pagePath.pipeline(run.pipeline), text(run.pipeline))} / #${run.number}`;
  const heading = `${text(run.pipeline)} #${run.number}`;
  return renderPage({ title: ctx.title, heading, crumbs, depth: DEPTH, body, generatedAt: ctx.now });
}
