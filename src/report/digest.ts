// A pipeline's digest: the few of its run summaries that the shared files (dashboard, feed,
// status.json) and the host pages can show, with its run count and run numbers. An update renders
// the pipelines it did not touch from their digests, so a fresh process reads one small file
// instead of every run summary (3.8 MB for 10,000 runs). Pages must come out byte for byte as from
// all runs (test/report/digest.test.ts, update-equals-full.test.ts), so a digest keeps, in the
// full list's order, every run that some question of those renderers answers with:
// - the newest runs up to the 50th ended one and the 50th failed or deployed one (success rate
//   and median, the feed, the last run, recent runs);
// - every waiting run; the newest run of each branch (status.json's branches);
// - the last deploy of each configured environment × host (what runs where);
// - per host, the runs of its 30 newest deploys (a host page's deploy history);
// - every run with a DORA event in the last 90 days (DORA's widest window; judging an event looks
//   only at later ones). That window moves with the clock, so a digest made at T is good for any
//   render at T or later, and is rebuilt from the runs when the clock went back.

import { createHash } from 'node:crypto';
import { DORA_WINDOWS } from './dora.ts';
import { FEED_ENTRIES } from './feed.ts';
import { HOST_HISTORY } from './host-page.ts';
import { lastDeployOf, SUCCESS } from './summary.ts';
import type { PipelineState } from '../state/types.ts';
import type { ReportPipelineConfig, RunSummary } from './types.ts';

const DAY = 86_400_000;
/** historyStats' window, the dashboard's recent runs, the pipeline page's duration chart: all ≤ 50. */
const NEWEST = 50;

export interface PipelineDigest {
  state: PipelineState;
  /** How many runs the pipeline has. */
  count: number;
  /** Every run's number (which run pages exist), newest first. */
  numbers: number[];
  /** The runs kept, newest first. */
  runs: RunSummary[];
  /** The render time it was made for (ISO): good for that time and later. */
  madeAt: string;
  /** contentKeyOf the state and all summaries it was made from: a full rewrite tells by it that it still fits. */
  content?: string;
}

/** A key of a pipeline's state and every run summary: what its history pages and pieces show of it. */
export function contentKeyOf(state: PipelineState, runs: readonly RunSummary[]): string {
  return createHash('sha1').update(JSON.stringify(state)).update('\0').update(JSON.stringify(runs)).digest('hex').slice(0, 20);
}

function when(r: RunSummary): string {
  return r.finishedAt ?? r.startedAt ?? r.createdAt;
}

/** The indices (into `runs`, newest first) of the runs a digest keeps. */
function keptIndices(p: Pick<ReportPipelineConfig, 'branch' | 'environments'>, runs: readonly RunSummary[], now: Date): Set<number> | 'all' {
  const keep = new Set<number>();
  let ended = 0;
  let feed = 0;
  const branches = new Set<string>();
  const cutoff = now.getTime() - Math.max(...DORA_WINDOWS) * DAY;
  const deploysOf = new Map<string, Array<{ i: number; at: string }>>();
  for (const [i, r] of runs.entries()) {
    if (i < NEWEST || ended < NEWEST || feed < FEED_ENTRIES) keep.add(i);
    if (SUCCESS.has(r.status) || r.status === 'failed') ended++;
    if (r.status === 'failed' || r.status === 'deployed') feed++;
    if (r.status === 'waiting') keep.add(i);
    const branch = r.branch ?? p.branch;
    if (!branches.has(branch)) {
      branches.add(branch);
      keep.add(i);
    }
    for (const e of r.dora ?? []) {
      const at = Date.parse(e.at);
      // An unparsable time sorts unpredictably among the others: only all runs give the same order.
      if (Number.isNaN(at)) return 'all';
      if (at > cutoff) keep.add(i);
    }
    for (const d of r.deploys) {
      if (d.status === 'pending') continue;
      (deploysOf.get(d.host) ?? deploysOf.set(d.host, []).get(d.host)!).push({ i, at: when(r) });
    }
  }
  for (const e of p.environments) {
    for (const host of e.hosts) {
      const last = lastDeployOf(runs, e.name, host);
      if (last !== undefined) keep.add(runs.indexOf(last.run));
    }
  }
  // The same stable sort as hostHistory: its 30 newest across pipelines are among each one's 30 newest.
  for (const entries of deploysOf.values()) {
    entries.sort((a, b) => (b.at < a.at ? -1 : b.at > a.at ? 1 : 0));
    for (const { i } of entries.slice(0, HOST_HISTORY)) keep.add(i);
  }
  return keep;
}

export function digestOf(p: Pick<ReportPipelineConfig, 'branch' | 'environments'>, state: PipelineState, runs: readonly RunSummary[], now: Date, content = contentKeyOf(state, runs)): PipelineDigest {
  const keep = keptIndices(p, runs, now);
  return {
    state,
    count: runs.length,
    numbers: runs.map((r) => r.number),
    runs: keep === 'all' ? [...runs] : runs.filter((_, i) => keep.has(i)),
    madeAt: now.toISOString(),
    content,
  };
}

/** The digest is good for a render at `now` (made then or before). */
export function digestFits(d: PipelineDigest, now: Date): boolean {
  const made = Date.parse(d.madeAt);
  return Number.isFinite(made) && made <= now.getTime();
}

/** Each pipeline's digest, for the render at `now`. */
export function digestsOf(config: { pipelines: ReadonlyArray<Pick<ReportPipelineConfig, 'name' | 'branch' | 'environments'>> }, pipelines: ReadonlyMap<string, { state: PipelineState; runs: RunSummary[]; content?: string }>, now: Date): Map<string, PipelineDigest> {
  const out = new Map<string, PipelineDigest>();
  for (const p of config.pipelines) {
    const c = pipelines.get(p.name);
    if (c !== undefined) out.set(p.name, digestOf(p, c.state, c.runs, now, c.content));
  }
  return out;
}
