// runs/NAME/N.html: one run in full: the whole commit message, a link to the commit on its forge,
// a timeline, every stage and step with its status and timings, and each step's log.

import type { HostOutcome, RunRecord, StageRecord, StepRecord } from '../state/types.ts';
import { durationBetween, escapeHtml, href, pagePath, statusBadge, timeTag } from './format.ts';
import { commitUrl } from './forge.ts';
import { approveCallout, hostLink, link, runDuration, type RenderContext } from './fragments.ts';
import { renderPage, table } from './layout.ts';
import { renderStepLog } from './log-view.ts';
import { summarizeRun } from './summary.ts';
import { renderTimeline } from './timeline.ts';
import type { RunDetail } from './types.ts';
import { failedStep, logPathOf, tailLines } from '../state/failure-tail.ts';

/** At the top of a failed run: which step failed, what it said last, where its whole log is. */
function failureCallout(detail: RunDetail, ctx: RenderContext): string {
  const { text } = ctx;
  const { run } = detail;
  if (run.status !== 'failed' && run.status !== 'interrupted') return '';
  const step = failedStep(run);
  if (!step) return '';
  const log = detail.logs.get(step.id);
  const lines = log ? tailLines(log.text) : [];
  return `<section class="card failure" id="failure">
<h2>Failed at <a href="#step-${text(step.id)}">${text(step.name)}</a></h2>
${step.error === undefined ? '' : `<p class="error">${text(step.error)}</p>`}
${lines.length === 0 ? '<p class="muted">The step printed nothing.</p>' : `<p class="muted">Its last ${lines.length === 1 ? 'line' : `${lines.length} lines`}:</p>\n<pre class="tail">${text(lines.join('\n'))}</pre>`}
<p class="muted">Whole log: <span class="mono">${text(logPathOf(run, step.id))}</span> in the state folder.</p>
</section>`;
}

const DEPTH = 2;

function facts(pairs: Array<[string, string]>): string {
  const items = pairs.filter(([, v]) => v !== '').map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`);
  return `<dl class="facts">${items.join('')}</dl>`;
}

/** A run that may still change: its page carries what app.js needs to follow it live. */
function isLive(detail: RunDetail): boolean {
  return detail.run.status === 'running' || detail.run.status === 'queued';
}

/**
 * Where app.js reads the run live (the daemon's /live/ routes) and what it says meanwhile. From
 * disk, or from a server without those routes, the text stays: the page is a snapshot.
 */
function liveNote(detail: RunDetail, ctx: RenderContext): string {
  const { run } = detail;
  const at = escapeHtml(href(DEPTH, 'live', 'runs', run.pipeline, `${run.number}.json`));
  const logs = escapeHtml(href(DEPTH, 'live', 'logs', run.pipeline, String(run.number), ''));
  return `<p class="live-note" id="live" data-run="${at}" data-logs="${logs}">This run is still going. This page is a snapshot of ${timeTag(ctx.now.toISOString(), ctx.text)}: served by <code>slipway run</code> it follows the logs live; opened from disk it stays as it is (reload it to see more).</p>`;
}

function stepBlock(detail: RunDetail, step: StepRecord, ctx: RenderContext): string {
  const { text } = ctx;
  const log = detail.logs.get(step.id);
  // The live log continues where the rendered one ends (its byte size when the page was made).
  const live = isLive(detail) && (step.status === 'running' || step.status === 'pending')
    ? `\n<pre class="live-log" data-step="${text(step.id)}" data-offset="${log?.size ?? 0}"></pre>`
    : '';
  const meta = [
    step.host === undefined ? '' : `on ${hostLink(DEPTH, step.host, ctx)}`,
    step.exitCode === undefined ? '' : `exit code ${step.exitCode}`,
    step.startedAt === undefined ? '' : `started ${timeTag(step.startedAt, text)}`,
    text(durationBetween(step.startedAt, step.finishedAt)),
  ].filter((s) => s !== '');
  // Shown for people; the path is relative to the state folder, wherever that is.
  const where = `logs/${detail.run.pipeline}/${detail.run.number}/${step.id}.log`;
  return `<div class="step" id="step-${text(step.id)}">
<p><span class="step-status">${statusBadge(step.status, text)}</span> <strong>${text(step.name)}</strong> <span class="muted">${meta.join(' · ')}</span></p>
${step.error === undefined ? '' : `<p class="error">${text(step.error)}</p>`}
${renderStepLog(step, log, ctx, where)}${live}
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

function stageBlock(detail: RunDetail, stage: StageRecord, ctx: RenderContext): string {
  const { text } = ctx;
  const timing = [
    stage.startedAt === undefined ? '' : `started ${timeTag(stage.startedAt, text)}`,
    text(durationBetween(stage.startedAt, stage.finishedAt)),
  ].filter((s) => s !== '');
  return `<section class="card" id="stage-${text(stage.name)}">
<h3>${text(stage.name)} ${statusBadge(stage.status, text)} <span class="muted">${timing.join(' · ')}</span></h3>
${stage.error === undefined ? '' : `<p class="error">${text(stage.error)}</p>`}
${stage.hosts === undefined || stage.hosts.length === 0 ? '' : hostsTable(stage.hosts, ctx)}
${stage.steps.length === 0 ? '<p class="muted">No steps.</p>' : stage.steps.map((s) => stepBlock(detail, s, ctx)).join('\n')}
</section>`;
}

/** What was posted to the forge, or why not: a forge that is down never fails a run, so say it here. */
function statusesBlock(detail: RunDetail, ctx: RenderContext): string {
  const posts = detail.statuses?.posts ?? [];
  if (posts.length === 0) return '';
  const { text } = ctx;
  const rows = posts.map((p) => [
    `<code>${text(p.context)}</code>`,
    text(p.state),
    p.error === undefined ? '<span class="ok">posted</span>' : `<span class="error">not posted: ${text(p.error)}</span>`,
    `${p.attempts}`,
    timeTag(p.at, text),
  ]);
  return `<h2>Commit statuses</h2>\n${table(['Context', 'State', 'Result', 'Attempts', 'At'], rows)}`;
}

export function renderRunPage(detail: RunDetail, ctx: RenderContext): string {
  const { text } = ctx;
  const { run } = detail;
  const c = run.commit;
  const repo = ctx.pipelines.get(run.pipeline)?.repo;
  const url = repo === undefined ? undefined : commitUrl(repo, c.id);
  const commitCell = `<code>${text(c.id)}</code>${url === undefined ? '' : ` <a href="${escapeHtml(url)}" rel="noreferrer noopener">view on the forge</a>`}`;
  const timeline = renderTimeline(run, ctx);
  const body = `${run.status === 'waiting' ? approveCallout(DEPTH, summarizeRun(run), ctx) : ''}${failureCallout(detail, ctx)}
${isLive(detail) ? liveNote(detail, ctx) : ''}
<p><span id="run-status">${statusBadge(run.status, text)}</span>${run.error === undefined ? '' : ` <span class="error">${text(run.error)}</span>`}${causeNote(run.cause)}</p>
${facts([
  ['Commit', commitCell],
  ['Branch', `<code>${text(run.branch)}</code>`],
  ['Author', `${text(c.author.name)} <span class="muted">&lt;${text(c.author.email)}&gt;</span>`],
  ['Committed', timeTag(c.time, text)],
  ['Trigger', text(run.trigger)],
  ['Queued', timeTag(run.createdAt, text)],
  ['Started', timeTag(run.startedAt, text)],
  ['Finished', timeTag(run.finishedAt, text)],
  ['Duration', text(runDuration(run))],
  ['Artifact', run.artifact === undefined ? '' : `<code>sha256:${text(run.artifact.sha256)}</code> <span class="muted">${run.artifact.files} files, ${run.artifact.bytes} bytes, built in run #${run.artifact.run}</span>`],
])}
${statusesBlock(detail, ctx)}
<h2>Commit message</h2>
<pre class="message">${text(c.message)}</pre>
${timeline === '' ? '' : `<h2>Timeline</h2>\n${timeline}`}
<h2>Stages</h2>
${run.stages.length === 0 ? '<p class="muted">No stage has started yet.</p>' : run.stages.map((s) => stageBlock(detail, s, ctx)).join('\n')}`;
  const crumbs = ` / ${ctx.pipelines.has(run.pipeline) ? link(DEPTH, pagePath.pipeline(run.pipeline), text(run.pipeline)) : text(run.pipeline)} / #${run.number}`;
  const heading = `${text(run.pipeline)} #${run.number}`;
  return renderPage({ title: ctx.title, heading, crumbs, depth: DEPTH, body, generatedAt: ctx.now });
}

/** Whose fault a failed run was: an infrastructure failure is retried, a commit failure is not. */
function causeNote(cause: RunRecord['cause']): string {
  if (cause === 'infrastructure') return ' <span class="cause">cause: infrastructure (not the commit; the next poll or trigger retries it)</span>';
  if (cause === 'commit') return ' <span class="cause">cause: the commit</span>';
  return '';
}
