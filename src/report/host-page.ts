// hosts/HOST.html: per pipeline, what the host runs now and ran before, the release folders on
// it, and its deploy history (every deploy stage that touched it, newest first).

import { createHash } from 'node:crypto';
import { hostOutcomeHealth, isChosenRollback, toneBadge } from './health.ts';
import type { HostRelease, HostState } from '../state/types.ts';
import { compareNames, shortId, statusBadge, timeTag } from './format.ts';
import { pipelineLink, runLink, type RenderContext } from './fragments.ts';
import { renderPage, table } from './layout.ts';
import { driftHistory } from './sync-view.ts';
import type { ReportModel, RunSummary } from './types.ts';

const DEPTH = 1;
export const HOST_HISTORY = 30;

function releaseCells(pipeline: string, r: HostRelease | undefined, ctx: RenderContext): string[] {
  const { text } = ctx;
  if (r === undefined) return ['<span class="muted">none</span>', '', '', ''];
  return [
    `<span class="mono">${text(r.release)}</span>`,
    `<code>${text(shortId(r.commit))}</code>`,
    timeTag(r.deployedAt, text),
    r.run > 0 ? runLink(DEPTH, { pipeline, number: r.run }, ctx, `#${r.run}`) : '',
  ];
}

/** Deploys that reached `host`, newest first, across pipelines. */
export function hostHistory(host: string, model: ReportModel, limit = HOST_HISTORY): Array<{ run: RunSummary; environment: string; status: string; release?: string }> {
  const out: Array<{ run: RunSummary; environment: string; status: string; release?: string }> = [];
  for (const p of model.pipelines) {
    // Only pipelines that deploy (or deployed) here can have touched it.
    if (!p.environments.some((e) => e.hosts.includes(host)) && model.hosts.find((h) => h.host === host)?.pipelines[p.name] === undefined) continue;
    for (const run of p.runs) {
      for (const d of run.deploys) {
        if (d.host !== host || d.status === 'pending') continue;
        out.push({ run, environment: d.environment, status: d.status, ...(d.release === undefined ? {} : { release: d.release }) });
      }
    }
  }
  const when = (r: RunSummary): string => r.finishedAt ?? r.startedAt ?? r.createdAt;
  return out.sort((a, b) => (when(b.run) < when(a.run) ? -1 : when(b.run) > when(a.run) ? 1 : 0)).slice(0, limit);
}

/**
 * A key of everything a host's page shows but the generation time: its state, its roles (config,
 * in the fingerprint) and the facts of each deploy history row. An update renders the page only
 * when the key changed: a deploy to 100 hosts otherwise rendered every host page at each of its
 * dozens of updates (bench/fleet.ts: 560–720 renders per once), though each host's page changes
 * about twice (its deploy entry, its state).
 */
export function hostPageKey(host: string, state: HostState | undefined, model: ReportModel, ctx: RenderContext): string {
  const hash = createHash('sha1').update(host).update('\0').update(JSON.stringify(state ?? null));
  // Its releases link to their runs' pages while those exist (retention removes old runs).
  const linked = Object.entries(state?.pipelines ?? {}).map(([name, p]) => [p.current, p.previous].map((r) => r !== undefined && ctx.runPages.get(name)?.has(r.run) === true));
  hash.update(JSON.stringify(linked));
  for (const h of hostHistory(host, model)) {
    const r = h.run;
    const facts = [r.pipeline, r.number, ctx.runPages.get(r.pipeline)?.has(r.number) === true, h.environment, h.status, isChosenRollback(r, h.environment), r.commit, r.subject, r.finishedAt ?? r.startedAt ?? r.createdAt];
    hash.update('\0').update(JSON.stringify(facts));
  }
  return hash.digest('hex').slice(0, 20);
}

export function renderHostPage(host: string, state: HostState | undefined, model: ReportModel, ctx: RenderContext): string {
  const { text } = ctx;
  const roles = model.pipelines.flatMap((p) =>
    p.environments.filter((e) => e.hosts.includes(host)).map((e) => `${pipelineLink(DEPTH, p.name, ctx)} ${text(e.name)}`),
  );
  const parts = [roles.length === 0 ? '<p class="muted">In no configured environment.</p>' : `<p>Serves: ${roles.join(' · ')}</p>`];
  const pipelines = Object.entries(state?.pipelines ?? {}).sort(([a], [b]) => compareNames(a, b));
  if (pipelines.length === 0) parts.push('<p class="muted">Nothing deployed here yet.</p>');
  for (const [name, p] of pipelines) {
    const rows = [
      ['Current', ...releaseCells(name, p.current, ctx)],
      ['Previous', ...releaseCells(name, p.previous, ctx)],
    ];
    const releases = p.releases
      .slice()
      .reverse()
      .map((r) => `<li><span class="mono">${text(r)}</span>${r === p.current?.release ? ' <strong>(current)</strong>' : r === p.previous?.release ? ' (previous)' : ''}</li>`);
    parts.push(`<section class="card">
<h2>${pipelineLink(DEPTH, name, ctx)}</h2>
${table(['', 'Release', 'Commit', 'Deployed', 'Run'], rows)}
<h3>Release folders on the host <span class="muted">(newest first)</span></h3>
${releases.length === 0 ? '<p class="muted">none recorded</p>' : `<ul>${releases.join('')}</ul>`}
</section>`);
  }
  const drift = driftHistory(state, ctx);
  if (drift !== '') parts.push(drift);
  const history = hostHistory(host, model);
  if (history.length > 0) {
    const rows = history.map((h) => [
      pipelineLink(DEPTH, h.run.pipeline, ctx),
      runLink(DEPTH, h.run, ctx, `#${h.run.number}`),
      text(h.environment),
      (() => {
        const v = hostOutcomeHealth(h.status, isChosenRollback(h.run, h.environment));
        return toneBadge(v.word, v.tone, text);
      })(),
      `<code>${text(shortId(h.run.commit))}</code> ${text(h.run.subject)}`,
      timeTag(h.run.finishedAt ?? h.run.startedAt ?? h.run.createdAt, text),
    ]);
    parts.push(`<h2>Deploy history <span class="muted">(newest ${HOST_HISTORY} at most)</span></h2>\n${table(['Pipeline', 'Run', 'Environment', 'Outcome', 'Commit', 'When'], rows, { classes: ['', '', '', '', 'msg', ''] })}`);
  }
  const heading = `host ${text(host)}`;
  return renderPage({ title: ctx.title, heading, crumbs: ` / ${text(host)}`, depth: DEPTH, body: parts.join('\n'), generatedAt: ctx.now });
}
