// Pieces shared by several pages: the render context, the runs table, the "what runs where"
// table and the approve call-out.

import type { HostState, RunRecord } from '../state/types.ts';
import { durationBetween, escapeHtml, firstLine, href, pagePath, shellWord, shortId, statusBadge, textFor, timeTag, type Text } from './format.ts';
import { table } from './layout.ts';
import type { ReportInput, ReportPipeline } from './types.ts';

export interface RenderContext {
  text: Text;
  now: Date;
  /** The report title, masked and escaped. */
  title: string;
  hosts: Map<string, HostState>;
  /** Keys of every page of this report, to avoid links to pages that are not there. */
  pages: Set<string>;
}

export function contextFor(input: ReportInput): RenderContext {
  const text = textFor(input.secrets);
  return {
    text,
    now: input.generatedAt,
    title: text(input.title),
    hosts: new Map(input.hosts.map((h) => [h.host, h])),
    pages: new Set(),
  };
}

/** An escaped href from a page `depth` folders deep to another page. */
export function link(depth: number, segments: string[], label: string): string {
  return `<a href="${escapeHtml(href(depth, ...segments))}">${label}</a>`;
}

/** A link when the page exists in this report (an old run or a removed pipeline has none), else the label. */
export function linkIfPage(depth: number, segments: string[], label: string, ctx: RenderContext): string {
  return ctx.pages.has(segments.join('/')) ? link(depth, segments, label) : label;
}

export function runLink(depth: number, run: RunRecord, ctx: RenderContext, label?: string): string {
  return link(depth, pagePath.run(run.pipeline, run.number), label ?? `${ctx.text(run.pipeline)} #${run.number}`);
}

export function hostLink(depth: number, host: string, ctx: RenderContext): string {
  return link(depth, pagePath.host(host), ctx.text(host));
}

export function runDuration(run: RunRecord): string {
  return durationBetween(run.startedAt, run.finishedAt);
}

export function runsTable(depth: number, runs: RunRecord[], ctx: RenderContext): string {
  const { text } = ctx;
  const rows = runs.map((run) => [
    runLink(depth, run, ctx, `#${run.number}`),
    statusBadge(run.status, text),
    `<code>${text(shortId(run.commit.id))}</code>`,
    text(firstLine(run.commit.message)),
    text(run.commit.author.name),
    timeTag(run.startedAt ?? run.createdAt, ctx.now, text),
    text(runDuration(run)),
  ]);
  return table(['Run', 'Status', 'Commit', 'Message', 'Author', 'Started', 'Duration'], rows);
}

/** The environment a waiting run is held at, if its record says. */
export function waitingAt(run: RunRecord): string | undefined {
  return run.stages.find((s) => s.status === 'waiting')?.environment;
}

export function approveCallout(depth: number, run: RunRecord, ctx: RenderContext): string {
  const { text } = ctx;
  const env = waitingAt(run);
  const command = `slipway approve ${shellWord(run.pipeline)} ${run.number}`;
  const where = env === undefined ? 'to go on' : `to deploy to ${text(env)}`;
  return `<div class="waiting"><strong>${runLink(depth, run, ctx)}</strong> (commit <code>${text(shortId(run.commit.id))}</code>)
waits for approval ${where}. To approve, run: <code class="copy">${text(command)}</code></div>`;
}

/** Environment × host: what each host runs for this pipeline, against what its environment should run. */
export function whereTable(depth: number, p: ReportPipeline, ctx: RenderContext): string {
  const { text } = ctx;
  if (p.environments.length === 0) return '<p class="muted">No environments: this pipeline only tests.</p>';
  const rows: string[][] = [];
  for (const env of p.environments) {
    const envState = p.state.environments[env.name];
    const envCell =
      `${text(env.name)}${env.approval === 'manual' ? ' <span class="muted">(manual approval)</span>' : ''}` +
      (envState === undefined
        ? '<br><span class="muted">nothing deployed yet</span>'
        : `<br><code>${text(shortId(envState.commit))}</code> ${timeTag(envState.deployedAt, ctx.now, text)}`);
    const hosts = env.hosts.length === 0 ? [undefined] : env.hosts;
    for (const host of hosts) {
      if (host === undefined) {
        rows.push([envCell, '<span class="muted">no hosts</span>', '', '']);
        continue;
      }
      const current = ctx.hosts.get(host)?.pipelines[p.name]?.current;
      const runs = current === undefined ? '<span class="muted">nothing</span>' : `<code>${text(shortId(current.commit))}</code> <span class="mono">${text(current.release)}</span>`;
      let note = '';
      if (envState !== undefined && current === undefined) note = '<span class="differs">not deployed</span>';
      else if (envState !== undefined && current !== undefined && current.commit !== envState.commit) {
        note = `<span class="differs">differs from ${text(env.name)} (<code>${text(shortId(envState.commit))}</code>)</span>`;
      } else if (current !== undefined) note = 'matches';
      rows.push([envCell, hostLink(depth, host, ctx), runs, note]);
    }
  }
  return table(['Environment', 'Host', 'Runs now', ''], rows);
}
