// The full rewrite (`slipway report`, and any update without a usable cache): every page made from
// the state, but only what changed is rendered and written (manifest.ts). Runs are read a few
// dozen at a time, so 10,000 runs never sit in memory at once.
// - With a manifest that fits and a report on disk: files are written in place, each atomically;
//   a run page whose record's stamp (stamps.ts) and the report's host names are as when it was
//   written, and whose file is still as written, is neither read nor rendered; a host page whose
//   key (hostPageKey) is unchanged likewise; any other file is rendered and written only when its
//   content changed; files no longer produced are removed.
// - A pipeline whose state and run files all stamp as the manifest recorded, and whose digest is
//   of the content the manifest names, has not changed since: its history pages (when still as
//   written) are kept and the shared files are made from its digest and kept pieces, so its run
//   summaries are not even read (a rewrite of 10,000 unchanged runs is then stat calls: two per
//   run, its record and its page, as git's index checks a work tree).
// - Without a manifest: a whole new report in a fresh folder, swapped in (write.ts).
// The logs and commit statuses of an ended run are final (the state's contract): not stat'ed.

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { statePaths } from '../state/store.ts';
import { ENDED_STATUSES, type HostState } from '../state/types.ts';
import { dropCache, fingerprintOf, readCacheMeta, readDigests, readPipelineCache, writeCache, writeDigests, type KeptDigest, type PipelineCache } from './cache.ts';
import { contentKeyOf, digestFits, digestOf, type PipelineDigest } from './digest.ts';
import { key, pagePath } from './format.ts';
import { contextFor } from './fragments.ts';
import { hostPageKey, renderHostPage } from './host-page.ts';
import { forEachRun, listHostStates, listRunNumbers, LOG_TAIL_BYTES, readPipelineState, readRunDetail } from './load.ts';
import { contentHash, inputKey, readManifest, sameManifest, writeManifest, type FileRecord, type PipelineRecord } from './manifest.ts';
import { fragmentsHold, fragmentsOf, type KeptFragments } from './pipeline-fragments.ts';
import { renderPipelineFiles, renderRunFile, renderSharedFiles } from './render.ts';
import { fileStamp, sameSizeAndTime } from './stamps.ts';
import { summarizeRun } from './summary.ts';
import type { PipelineModel, ReportConfig, ReportModel, RunSummary } from './types.ts';
import { folderStamps, openFolderSwap, removeUnlistedSince, withReportFolder, writeOneInPlace, type FolderSwap } from './write.ts';

export interface RewriteResult {
  mode: 'full';
  /** Files written. */
  written: number;
  /** Run records read. */
  runsRead: number;
  /** Files left as they were (unchanged). */
  kept: number;
}

function byNewest(a: RunSummary, b: RunSummary): number {
  return b.number - a.number;
}

export function modelFrom(config: ReportConfig, pipelines: Map<string, PipelineCache>, hosts: HostState[], now: Date): ReportModel {
  const models: PipelineModel[] = config.pipelines.map((p) => {
    const c = pipelines.get(p.name);
    return { ...p, state: c?.state ?? { version: 1, pipeline: p.name, nextRunNumber: 1, environments: {} }, runs: c?.runs ?? [] };
  });
  return { title: config.title, generatedAt: now, secrets: config.secrets, hosts, pipelines: models };
}

/** The file is still what the manifest says was written. */
function unchangedOnDisk(www: string, k: string, record: FileRecord): boolean {
  // Keys are checked relative paths (write.ts checkKey): path.join's normalising was ~10% of a rewrite.
  return sameSizeAndTime(`${www}/${k}`, record);
}

const ended = (r: RunSummary | undefined): r is RunSummary => r !== undefined && ENDED_STATUSES.includes(r.status);

/** What one pipeline is in this rewrite: all its summaries, or (unchanged) its digest only. */
interface Scanned {
  /** Stamps of its state file and run files (in run order), taken before any was read. */
  stamp: string;
  runStamps: Map<number, string>;
  /** Its unchanged digest: its summaries are not read. */
  digest?: KeptDigest;
  /** Otherwise: its state and summaries, newest first; `same`: as its cache file has them. */
  cache?: PipelineCache & { content: string; same: boolean };
}

export async function fullRewrite(stateDir: string, config: ReportConfig, opts: { now?: Date; logTailBytes?: number } = {}): Promise<RewriteResult> {
  const now = opts.now ?? new Date();
  const tail = opts.logTailBytes ?? LOG_TAIL_BYTES;
  const paths = statePaths(stateDir);
  const www = paths.www;
  const fingerprint = fingerprintOf(config);
  const names = config.pipelines.map((p) => p.name);
  const [manifest, meta, hasReport, digests] = await Promise.all([
    readManifest(stateDir, fingerprint),
    readCacheMeta(stateDir, config),
    access(join(www, 'index.html')).then(
      () => true,
      () => false,
    ),
    readDigests(stateDir, fingerprint, names),
  ]);
  const files = manifest.files;
  const differential = files.size > 0 && hasReport;
  // No update may trust the old cache if this rewrite dies half-way.
  await dropCache(stateDir);
  const hosts = await listHostStates(stateDir);
  const numbers = new Map<string, number[]>();
  for (const name of names) numbers.set(name, await listRunNumbers(stateDir, name));
  // Run pages need to know which pages exist, not the other runs: a model with numbers only.
  const early = contextFor(modelFrom(config, new Map(), hosts, now));
  for (const [name, ns] of numbers) early.runPages.set(name, new Set(ns));
  const hostsKey = inputKey(early.hostNames);
  const hostsStateKey = inputKey([JSON.stringify(hosts)]);
  // Run pages link to host pages: other host names, every run page is made again.
  const sameHosts = differential && manifest.hostsKey === hostsKey;

  const records = new Map<string, FileRecord>();
  const pipelineRecords = new Map<string, PipelineRecord>();
  let written = 0;
  let runsRead = 0;
  let kept = 0;
  const keep = (k: string, r: FileRecord): void => {
    records.set(k, r);
    kept++;
  };
  let made = new Map<string, KeptFragments>();
  const scanned = new Map<string, Scanned>();
  const hostKeys = new Map<string, string>();
  let folders = new Map<string, number>();
  await withReportFolder(www, async () => {
    const swap: FolderSwap | undefined = differential ? undefined : await openFolderSwap(www);
    const madeDirs = new Set<string>();
    const put = async (k: string, html: string, input?: string, group?: string): Promise<void> => {
      const hash = contentHash(html, now);
      const before = files.get(k);
      const about = { ...(input === undefined ? {} : { input }), ...(group === undefined ? {} : { group }) };
      if (swap === undefined && before?.hash === hash && unchangedOnDisk(www, k, before)) {
        keep(k, { hash, size: before.size, mtimeMs: before.mtimeMs, ...about });
        return;
      }
      const w = swap ? await swap.write(k, html) : await writeOneInPlace(www, k, html, madeDirs);
      records.set(k, { hash, size: w.size, mtimeMs: w.mtimeMs, ...about });
      written++;
    };
    // A pipeline's pages and badges are made from its state and runs, the hosts and their names.
    const groups = new Map<string, Array<[string, FileRecord]>>();
    for (const [k, r] of files) if (r.group !== undefined) (groups.get(r.group) ?? groups.set(r.group, []).get(r.group)!).push([k, r]);
    const groupInput = (content: string): string => inputKey([content, hostsKey, hostsStateKey]);
    const groupIntact = (name: string, input: string): boolean => {
      const before = groups.get(name) ?? [];
      return differential && before.length > 0 && before.every(([k, r]) => r.input === input && unchangedOnDisk(www, k, r));
    };
    try {
      for (const p of config.pipelines) {
        const ns = numbers.get(p.name) ?? [];
        const runStamps = new Map<number, string>();
        // RUNS/NAME/N.json by concatenation: path.join for each of 10,000 runs was ~12 ms of a
        // rewrite (a cold process); statePaths stays the authority, checked once per pipeline.
        const dir = paths.runsDir(p.name);
        const runFile = paths.runFile(p.name, 1) === `${dir}/1.json` ? (n: number): string => `${dir}/${n}.json` : (n: number): string => paths.runFile(p.name, n);
        for (const n of ns) runStamps.set(n, fileStamp(runFile(n)));
        const stamp = inputKey([fileStamp(paths.pipelineFile(p.name)), ...[...runStamps].map(([n, s]) => `${n}=${s}`)]);
        const before = manifest.pipelines.get(p.name);
        const digest = digests.get(p.name);
        // Unchanged since the rewrite that wrote the manifest; its cache file is then that content too.
        const unchanged = meta !== undefined && before?.stamp === stamp && digest?.digest.content === before.content && digestFits(digest.digest, now) && groupIntact(p.name, groupInput(before.content));
        const entry: Scanned = { stamp, runStamps, ...(unchanged ? { digest } : {}) };
        scanned.set(p.name, entry);
        const cached = unchanged || meta === undefined ? undefined : await readPipelineCache(stateDir, p.name);
        const known = new Map((cached?.runs ?? []).map((r) => [r.number, r]));
        const summaries: RunSummary[] = [];
        const toRead: number[] = [];
        for (const [i, n] of ns.entries()) {
          if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
          const k = key(pagePath.run(p.name, n));
          const page = files.get(k);
          // An ended run is never rewritten: same record, same page.
          const pageKept = sameHosts && page !== undefined && page.input === runStamps.get(n) && unchangedOnDisk(www, k, page);
          if (pageKept && unchanged) {
            keep(k, page);
          } else if (pageKept && ended(known.get(n))) {
            summaries.push(known.get(n)!);
            keep(k, page);
          } else {
            toRead.push(n);
          }
        }
        await forEachRun(stateDir, p.name, toRead, async (run) => {
          if (!unchanged) summaries.push(summarizeRun(run));
          const [k, html] = renderRunFile(await readRunDetail(stateDir, run, tail), early);
          await put(k, html, runStamps.get(run.number));
          runsRead++;
        });
        if (!unchanged) {
          const state = await readPipelineState(stateDir, p.name);
          const runs = summaries.sort(byNewest);
          const content = contentKeyOf(state, runs);
          entry.cache = { state, runs, content, same: cached !== undefined && contentKeyOf(cached.state, cached.runs) === content };
        }
      }
      // Pipelines read in full are shown from all their runs, the others from their digests.
      const shown = new Map<string, PipelineCache>();
      for (const [name, s] of scanned) shown.set(name, s.cache ?? { state: s.digest!.digest.state, runs: s.digest!.digest.runs });
      const model = modelFrom(config, shown, hosts, now);
      for (const p of model.pipelines) {
        const d = scanned.get(p.name)?.digest?.digest;
        if (d !== undefined) p.digest = { count: d.count, numbers: d.numbers };
      }
      const ctx = contextFor(model);
      const kept = new Map<string, KeptFragments>();
      for (const p of model.pipelines) {
        const f = scanned.get(p.name)?.digest?.fragments;
        if (fragmentsHold(f, p, ctx)) kept.set(p.name, f);
      }
      const fragments = fragmentsOf(model, ctx, kept);
      made = fragments.made;
      for (const [k, v] of renderSharedFiles(model, ctx, fragments.all)) await put(k, v);
      for (const host of ctx.hostNames) {
        const k = key(pagePath.host(host));
        const input = hostPageKey(host, ctx.hosts.get(host), model, ctx);
        hostKeys.set(host, input);
        const page = files.get(k);
        if (differential && page?.input === input && unchangedOnDisk(www, k, page)) keep(k, page);
        else await put(k, renderHostPage(host, ctx.hosts.get(host), model, ctx), input);
      }
      for (const p of model.pipelines) {
        const s = scanned.get(p.name)!;
        const content = s.cache?.content ?? s.digest!.digest.content!;
        const input = groupInput(content);
        if (s.digest !== undefined || groupIntact(p.name, input)) {
          // Its history pages are most of the rendering: skipped when nothing they show changed.
          for (const [k, r] of groups.get(p.name) ?? []) keep(k, r);
        } else {
          for (const [k, v] of renderPipelineFiles(p, ctx)) await put(k, v, input, p.name);
        }
        // Only a pipeline whose runs have all ended can be known by its stamps next time: a
        // running run's page and summary change with its logs and the clock.
        if (s.digest !== undefined || s.cache!.runs.every(ended)) pipelineRecords.set(p.name, { stamp: s.stamp, content });
      }
      if (swap) await swap.commit();
      else await removeUnlistedSince(www, new Set(records.keys()), { files: files.keys(), folders: manifest.folders });
      folders = folderStamps(www, records.keys());
    } catch (err) {
      await swap?.abort();
      throw err;
    }
  });
  // Written: the digests of the pipelines read in full and of those whose pieces were rendered
  // again; the cache files of those whose summaries changed; meta.json (dropped above).
  const nextDigests = new Map<string, KeptDigest>();
  const full = new Map<string, PipelineCache>();
  const changed = new Set<string>();
  for (const p of config.pipelines) {
    const s = scanned.get(p.name)!;
    const fragments = made.get(p.name);
    let digest: PipelineDigest | undefined = s.digest?.digest;
    if (s.cache !== undefined) {
      digest = digestOf(p, s.cache.state, s.cache.runs, now, s.cache.content);
      full.set(p.name, { state: s.cache.state, runs: s.cache.runs });
      if (!s.cache.same) changed.add(p.name);
    }
    if (digest !== undefined && (s.cache !== undefined || fragments !== undefined)) nextDigests.set(p.name, fragments === undefined ? { digest } : { digest, fragments });
  }
  await writeDigests(stateDir, fingerprint, nextDigests);
  await writeCache(stateDir, { fingerprint, pipelines: full, hosts: hostStamps(hosts), pages: hostKeys }, changed, true);
  const next = { files: records, hostsKey, pipelines: pipelineRecords, folders };
  if (!sameManifest(next, manifest)) await writeManifest(stateDir, fingerprint, next);
  return { mode: 'full', written, runsRead, kept };
}

/** What each host's state was, to tell a changed one in the next update (any process). */
export function hostStamps(hosts: HostState[]): Map<string, string> {
  // Without the observation time and count: an observation that changed nothing renders nothing.
  const quiet = (k: string, v: unknown): unknown => (k === 'observedAt' || k === 'drifted' ? undefined : v);
  return new Map(hosts.map((h) => [h.host, inputKey([JSON.stringify(h, quiet)])]));
}
