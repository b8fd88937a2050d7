// updateReport: the one call the pipeline makes after each change of state, and the full rewrite
// of `slipway report`.
// - Full (full-rewrite.ts): every page made from the state, rendering and writing only what
//   changed since the last full rewrite (manifest.ts), or into a fresh folder swapped in.
// - Incremental (the default once a report and its cache exist): the pipelines named in
//   `changed` (all when none are named) are scanned for new runs and runs that had not ended;
//   only the pages that depend on them are rewritten, each atomically in place: the dashboard,
//   feed, status.json, those pipelines' history pages and badges, those runs' pages, and the
//   pages of the hosts those pipelines deploy to.

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { statePaths } from '../state/store.ts';
import { ENDED_STATUSES, type HostState } from '../state/types.ts';
import { readCacheMeta, readDigests, readPipelineCache, writeCache, writeDigests, type PipelineCache } from './cache.ts';
import { digestFits, digestsOf, type PipelineDigest } from './digest.ts';
import { fullRewrite as rewriteAll, hostStamps, modelFrom } from './full-rewrite.ts';
import { fileSegment, key, pagePath } from './format.ts';
import { contextFor } from './fragments.ts';
import { forEachRun, listHostStates, listRunNumbers, LOG_TAIL_BYTES, readPipelineState, readRunDetail } from './load.ts';
import { fragmentsHold, fragmentsOf, type KeptFragments } from './pipeline-fragments.ts';
import { hostPageKey, renderHostPage } from './host-page.ts';
import { hostsOfPipeline, renderPipelineFiles, renderRunFile, renderSharedFiles } from './render.ts';
import { summarizeRun } from './summary.ts';
import type { ReportConfig, RunDetail, RunSummary } from './types.ts';
import { listReportFolder, withReportFolder, writeFilesInPlace } from './write.ts';

/** What changed: a pipeline, and the run of it when one did. */
export interface ReportChange {
  pipeline: string;
  run?: number;
}

export interface UpdateReportOptions {
  now?: Date;
  /** Bytes of the end of each step log shown (default 64 KiB). */
  logTailBytes?: number;
  /** Rewrite every page (`slipway report`). */
  full?: boolean;
  /** Only these pipelines changed; without it every pipeline is scanned (still incrementally). */
  changed?: ReportChange | ReportChange[];
}

/** What an update did, for tests and the benchmark. */
export interface UpdateResult {
  mode: 'full' | 'incremental';
  /** Files written. */
  written: number;
  /** Run records read. */
  runsRead: number;
  /** Files found unchanged and left as they were (full rewrite). */
  kept?: number;
}

function byNewest(a: RunSummary, b: RunSummary): number {
  return b.number - a.number;
}

export async function fullRewrite(stateDir: string, config: ReportConfig, opts: UpdateReportOptions = {}): Promise<UpdateResult> {
  return rewriteAll(stateDir, config, opts);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Rewrites what depends on the changed pipelines; a full rewrite when there is no usable cache. */
export async function incrementalRewrite(stateDir: string, config: ReportConfig, opts: UpdateReportOptions = {}): Promise<UpdateResult> {
  const www = statePaths(stateDir).www;
  const [meta, hasReport] = await Promise.all([readCacheMeta(stateDir, config), exists(join(www, 'index.html'))]);
  if (meta === undefined || !hasReport) return fullRewrite(stateDir, config, opts);
  const now = opts.now ?? new Date();
  const tail = opts.logTailBytes ?? LOG_TAIL_BYTES;
  const changes = opts.changed === undefined ? undefined : Array.isArray(opts.changed) ? opts.changed : [opts.changed];
  const configured = new Set(config.pipelines.map((p) => p.name));
  const scan = changes === undefined ? [...configured] : [...new Set(changes.map((c) => c.pipeline))].filter((n) => configured.has(n));
  const forced = new Set((changes ?? []).filter((c) => c.run !== undefined).map((c) => `${c.pipeline}/${c.run}`));

  // Pipelines not scanned are rendered from their digests; all summaries only of those scanned,
  // those whose pages are rewritten, and those without a digest that fits.
  const [digests, hosts] = await Promise.all([readDigests(stateDir, meta.fingerprint, [...configured]), listHostStates(stateDir)]);
  const stamps = hostStamps(hosts);
  const changedHosts = new Set([...stamps].filter(([h, stamp]) => meta.hosts?.get(h) !== stamp).map(([h]) => h));
  // A host's sync changed (an observation): the pipelines it serves show it in what-runs-where.
  const dirty = new Set(config.pipelines.filter((p) => p.environments.some((e) => e.hosts.some((h) => changedHosts.has(h)))).map((p) => p.name));
  // DORA's windows moved past one of a pipeline's events since its pieces were made: its own pages
  // show DORA too (pipeline-fragments.ts fragmentsUntil).
  for (const [n, d] of digests) if (configured.has(n) && d.fragments !== undefined && now.getTime() >= d.fragments.until) dirty.add(n);
  const needed = config.pipelines.map((p) => p.name).filter((n) => scan.includes(n) || dirty.has(n) || !(digests.has(n) && digestFits(digests.get(n)!.digest, now)));
  const read = await Promise.all(needed.map((n) => readPipelineCache(stateDir, n)));
  if (read.some((c) => c === undefined)) return fullRewrite(stateDir, config, opts);
  const pipelines = new Map(needed.map((n, i) => [n, read[i]!]));

  const reread: Array<{ pipeline: string; numbers: number[] }> = [];
  const removedRuns: string[] = [];
  for (const name of scan) {
    const before = pipelines.get(name)!;
    const [state, numbers] = await Promise.all([readPipelineState(stateDir, name), listRunNumbers(stateDir, name)]);
    const known = new Map(before.runs.map((r) => [r.number, r]));
    const onDisk = new Set(numbers);
    const toRead = numbers.filter((n) => {
      const r = known.get(n);
      return r === undefined || !ENDED_STATUSES.includes(r.status) || forced.has(`${name}/${n}`);
    });
    for (const n of known.keys()) if (!onDisk.has(n)) removedRuns.push(key(pagePath.run(name, n)));
    if (toRead.length > 0 || numbers.length !== known.size || JSON.stringify(state) !== JSON.stringify(before.state)) dirty.add(name);
    pipelines.set(name, { state, runs: before.runs.filter((r) => onDisk.has(r.number)) });
    if (toRead.length > 0) reread.push({ pipeline: name, numbers: toRead });
  }

  // Read the changed runs; their pages need the final model's context, so render after.
  const details: RunDetail[] = [];
  let runsRead = 0;
  for (const { pipeline, numbers } of reread) {
    const entry = pipelines.get(pipeline)!;
    const fresh = new Map<number, RunSummary>();
    await forEachRun(stateDir, pipeline, numbers, async (run) => {
      fresh.set(run.number, summarizeRun(run));
      details.push(await readRunDetail(stateDir, run, tail));
      runsRead++;
    });
    const kept = entry.runs.filter((r) => !fresh.has(r.number));
    entry.runs = [...kept, ...fresh.values()].sort(byNewest);
  }

  const nextDigests = new Map<string, PipelineDigest>();
  for (const [n, d] of digests) if (configured.has(n)) nextDigests.set(n, d.digest);
  for (const [n, d] of digestsOf(config, pipelines, now)) nextDigests.set(n, d);
  const shown = new Map<string, PipelineCache>();
  for (const n of configured) {
    const d = nextDigests.get(n)!;
    shown.set(n, pipelines.get(n) ?? { state: d.state, runs: d.runs });
  }
  const model = modelFrom(config, shown, hosts, now);
  for (const p of model.pipelines) {
    const d = nextDigests.get(p.name)!;
    if (!pipelines.has(p.name)) p.digest = { count: d.count, numbers: d.numbers };
  }
  const ctx = contextFor(model);
  // The pieces of the pipelines rendered from an unchanged digest, where they still hold.
  const keep = new Map<string, KeptFragments>();
  for (const p of model.pipelines) {
    const kept = digests.get(p.name)?.fragments;
    if (!pipelines.has(p.name) && fragmentsHold(kept, p, ctx)) keep.set(p.name, kept);
  }
  const fragments = fragmentsOf(model, ctx, keep);
  const files = renderSharedFiles(model, ctx, fragments.all);
  const hostPages = new Set<string>();
  const remove = [...removedRuns];
  for (const p of model.pipelines) {
    if (!dirty.has(p.name)) continue;
    const pages = renderPipelineFiles(p, ctx);
    for (const [k, v] of pages) files.set(k, v);
    for (const h of hostsOfPipeline(p, ctx)) hostPages.add(h);
    // A status filter can run out of runs (no more "running"): its old pages must go.
    for (const old of await listReportFolder(www, `pipelines/${fileSegment(p.name)}`)) if (!pages.has(old)) remove.push(old);
  }
  // A host state changed without its pipeline being scanned (a rollback): its page too. The
  // stamps are in the cache, so a fresh process (`slipway once`) renders only changed hosts.
  for (const h of changedHosts) hostPages.add(h);
  // Of those, only the pages whose content changed (hostPageKey).
  const pageKeys = new Map(meta.pages);
  for (const host of ctx.hostNames) {
    if (!hostPages.has(host)) continue;
    const input = hostPageKey(host, ctx.hosts.get(host), model, ctx);
    if (pageKeys.get(host) === input) continue;
    pageKeys.set(host, input);
    files.set(key(pagePath.host(host)), renderHostPage(host, ctx.hosts.get(host), model, ctx));
  }
  for (const d of details) {
    const [k, v] = renderRunFile(d, ctx);
    files.set(k, v);
  }
  await withReportFolder(www, () => writeFilesInPlace(www, files, remove));
  // Written: the digests made now, and those whose pieces were rendered again.
  await writeDigests(stateDir, meta.fingerprint, new Map([...fragments.made].map(([n, f]) => [n, { digest: nextDigests.get(n)!, fragments: f }])));
  await writeCache(stateDir, { fingerprint: meta.fingerprint, pipelines, hosts: stamps, pages: pageKeys }, dirty);
  return { mode: 'incremental', written: files.size, runsRead };
}
