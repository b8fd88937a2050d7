// A pipeline's own pieces of the shared files: its row of the dashboard's Pipelines table, its
// "What runs where" card, its rows of the DORA table and its status.json entry. Rendering them
// for all 50 pipelines of a 10,000-run state was most of an update's CPU (--cpu-prof, one new
// run: dashboard 79 ms, status.json 33 ms), though only one pipeline had changed. So each
// pipeline's pieces are kept in its digest (cache.ts) with what they were made from, and an
// update renders only the pieces of the pipelines it touched; the shared files are then put
// together from the pieces, in a full rewrite as in an update, so both give the same bytes.
//
// A pipeline's pieces depend on its state and runs (its digest), the states of its
// environments' hosts (what runs where, sync, status.json's hosts) and, through DORA's windows
// and its per-day chart, the render time. Kept pieces are used only while all three are as
// they were: the digest was not rebuilt, the hosts' states hash the same, and the render time is
// before the first moment one of its DORA events enters or leaves a window, or the UTC day ends.

import { createHash } from 'node:crypto';
import { pipelineRow, whereCard } from './dashboard.ts';
import { DORA_WINDOWS } from './dora.ts';
import { doraSummaryRows } from './dora-view.ts';
import { pipelineLink, type RenderContext } from './fragments.ts';
import { pipelineStatusJson } from './status-json.ts';
import type { HostState } from '../state/types.ts';
import type { PipelineModel, ReportModel } from './types.ts';

const DAY = 86_400_000;

export interface PipelineFragments {
  /** Cells of its row in the dashboard's Pipelines table. */
  row: string[];
  /** Its "What runs where" card ('' without environments). */
  card: string;
  /** Its rows of the dashboard's DORA table. */
  dora: string[][];
  /** Its status.json entry: JSON at the top level, secrets masked, not yet \u-escaped. */
  status: string;
}

/** Pieces as kept in a digest: with what they were made from. */
export interface KeptFragments extends PipelineFragments {
  /** hostsKeyOf at the time they were made. */
  hosts: string;
  /** They hold for renders before this time (ms since the epoch). */
  until: number;
}

export function renderFragments(p: PipelineModel, ctx: RenderContext): PipelineFragments {
  return {
    row: pipelineRow(p, ctx),
    card: whereCard(p, ctx),
    dora: doraSummaryRows(p, ctx, (name) => pipelineLink(0, name, ctx)),
    status: pipelineStatusJson(p, ctx),
  };
}

// A host serves several pipelines: its state is serialized once per render.
const hostJson = new WeakMap<HostState, string>();

/** The states of the pipeline's hosts, as one short key ('-' for a host without a state file). */
export function hostsKeyOf(p: Pick<PipelineModel, 'environments'>, ctx: Pick<RenderContext, 'hosts'>): string {
  const hash = createHash('sha1');
  for (const e of p.environments) {
    for (const h of e.hosts) {
      const state = ctx.hosts.get(h);
      let json = state === undefined ? '-' : hostJson.get(state);
      if (json === undefined) hostJson.set(state!, (json = JSON.stringify(state)));
      hash.update(`${h}\0${json}\0`);
    }
  }
  return hash.digest('hex').slice(0, 20);
}

/** Pieces with no DORA event near enough to move them hold until something else changes. */
export const FOREVER = Number.MAX_SAFE_INTEGER;

/** The first time after `now` at which the pipeline's DORA figures or charts can change. */
export function fragmentsUntil(p: Pick<PipelineModel, 'runs'>, now: Date): number {
  const t = now.getTime();
  let until = FOREVER;
  let charted = false;
  for (const r of p.runs) {
    for (const e of r.dora ?? []) {
      const at = Date.parse(e.at);
      // An unparsable time is inside no window, ever.
      if (Number.isNaN(at)) continue;
      // An event counts while at <= now < at + window.
      for (const b of [at, ...DORA_WINDOWS.map((d) => at + d * DAY)]) if (b > t && b < until) until = b;
      // The per-day chart counts by UTC day: the next day moves an event of the last 30 days (or a later one).
      if (at > t - 31 * DAY) charted = true;
    }
  }
  return charted ? Math.min(until, (Math.floor(t / DAY) + 1) * DAY) : until;
}

/** Kept pieces that still hold for this render of the pipeline. */
export function fragmentsHold(kept: KeptFragments | undefined, p: PipelineModel, ctx: RenderContext): kept is KeptFragments {
  return kept !== undefined && ctx.now.getTime() < kept.until && kept.hosts === hostsKeyOf(p, ctx);
}

/**
 * Every pipeline's pieces: those in `keep` as they are (the caller checked they hold), the others
 * rendered. Returns them with the rendered ones marked, for the caller to keep.
 */
export function fragmentsOf(model: ReportModel, ctx: RenderContext, keep: ReadonlyMap<string, PipelineFragments> = new Map()): { all: Map<string, PipelineFragments>; made: Map<string, KeptFragments> } {
  const all = new Map<string, PipelineFragments>();
  const made = new Map<string, KeptFragments>();
  for (const p of model.pipelines) {
    const kept = keep.get(p.name);
    if (kept !== undefined) {
      all.set(p.name, kept);
      continue;
    }
    const f = renderFragments(p, ctx);
    all.set(p.name, f);
    made.set(p.name, { ...f, hosts: hostsKeyOf(p, ctx), until: fragmentsUntil(p, ctx.now) });
  }
  return { all, made };
}
