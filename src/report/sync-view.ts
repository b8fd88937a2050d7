// The observer's findings in the report (docs/observe.md): a sync pill with since-when and the
// reasons in the what-runs-where table (drifted hosts first), a call-out on the dashboard when
// any host drifted, and the host page's drift history. Reasons come from hosts: escaped.
import type { HostState, HostSync, SyncState } from '../state/types.ts';
import { healStoppedLine } from '../state/host-sync.ts';
import { compareNames, timeTag } from './format.ts';
import { hostLink, pipelineLink, type RenderContext } from './fragments.ts';
import { toneBadge, type Tone } from './health.ts';
import { table } from './layout.ts';
import type { PipelineModel } from './types.ts';

const TONE: Record<SyncState, Tone> = { synced: 'ok', 'out-of-sync': 'bad', degraded: 'warn', unknown: 'idle' };

/** The record of this pipeline's environment at its path (another pipeline may have used the path before). */
export function syncOf(hs: HostState | undefined, pipeline: string, environment: string, path: string | undefined): HostSync | undefined {
  const s = path === undefined ? undefined : hs?.sync?.[path];
  return s && s.pipeline === pipeline && s.environment === environment ? s : undefined;
}

/** 0: drifted (out-of-sync, degraded, unknown), 1: synced, 2: never observed. Rows sort by it. */
export function driftRank(s: HostSync | undefined): number {
  if (!s) return 2;
  return s.sync === 'synced' ? 1 : 0;
}

export function reasonsList(reasons: readonly string[], ctx: RenderContext): string {
  return reasons.length === 0 ? '' : `<ul class="reasons">${reasons.map((r) => `<li>${ctx.text(r)}</li>`).join('')}</ul>`;
}

/** The "Sync" cell: pill, since when, why; what stopped self-heal. */
export function syncCell(s: HostSync | undefined, ctx: RenderContext): string {
  if (!s) return '<span class="muted">not observed yet</span>';
  const stopped = healStoppedLine(s);
  return `${toneBadge(s.sync, TONE[s.sync], ctx.text)} since ${timeTag(s.since, ctx.text)}${reasonsList(s.reasons, ctx)}${stopped ? `<div class="warn">${ctx.text(stopped)}</div>` : ''}`;
}

/** The dashboard's call-out: every drifted host, first thing on the page. */
export function driftCallout(pipelines: readonly PipelineModel[], ctx: RenderContext): string {
  const items: string[] = [];
  for (const p of pipelines) {
    for (const env of p.environments) {
      for (const host of env.hosts) {
        const s = syncOf(ctx.hosts.get(host), p.name, env.name, env.path);
        if (!s || s.sync === 'synced') continue;
        items.push(`<li>${hostLink(0, host, ctx)} in ${pipelineLink(0, p.name, ctx)} ${ctx.text(env.name)}: ${syncCell(s, ctx)}</li>`);
      }
    }
  }
  if (items.length === 0) return '';
  return `<section class="drift" id="drift"><h2>Drift <span class="muted">(${items.length} host${items.length === 1 ? '' : 's'} not as git says)</span></h2><ul>${items.join('')}</ul></section>`;
}

/** Host page: per observed path, the sync now and its transitions, newest first (the last 50 kept). */
export function driftHistory(state: HostState | undefined, ctx: RenderContext): string {
  const entries = Object.entries(state?.sync ?? {}).sort(([a], [b]) => compareNames(a, b));
  if (entries.length === 0) return '';
  const parts = ['<h2>Drift history <span class="muted">(sync changes, newest first)</span></h2>'];
  for (const [path, s] of entries) {
    const rows = s.history
      .slice()
      .reverse()
      .map((t) => [timeTag(t.at, ctx.text), toneBadge(t.sync, TONE[t.sync], ctx.text), reasonsList(t.reasons, ctx)]);
    parts.push(`<section class="card" id="sync-${ctx.text(s.pipeline)}-${ctx.text(s.environment)}">
<h3>${pipelineLink(1, s.pipeline, ctx)} ${ctx.text(s.environment)} <span class="mono muted">${ctx.text(path)}</span></h3>
<p>Now: ${syncCell(s, ctx)} <span class="muted">(last observed ${timeTag(s.observedAt, ctx.text)})</span></p>
${table(['When', 'Sync', 'Why'], rows, { classes: ['', '', 'msg'] })}
</section>`);
  }
  return parts.join('\n');
}
