// The full rewrite (`slipway report`, and any update without a usable cache): every page made from
// the state, but only what changed is rendered and written (manifest.ts). Runs are read a few
// dozen at a time, so 10,000 runs never sit in memory at once.
// - With a manifest that fits and a report on disk: files are written in place, each atomically;
//   a run page whose inputs (run file, its logs, the report's host names) are unchanged since it
//   was written, and whose file is still as written, is neither read nor rendered; any other file
//   is rendered and written only when its content changed; files no longer produced are removed.
// - Without: a whole new report in a fresh folder, swapped in (write.ts).

import { access } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../state/store.ts';
import { ENDED_STATUSES, type HostState } from '../state/types.ts';
import { dropCache, fingerprintOf, readCache, writeCache, writeDigests, type PipelineCache } from './cache.ts';
import { digestsOf } from './digest.ts';
import { key, pagePath } from './format.ts';
import { contextFor } from './fragments.ts';
import { forEachRun, listHostStates, listRunNumbers, LOG_TAIL_BYTES, readPipelineState, readRunDetail } from './load.ts';
import { contentHash, inputKey, readManifest, writeManifest, type FileRecord } from './manifest.ts';
import { fragmentsOf } from './pipeline-fragments.ts';
import { renderHostFiles, renderPipelineFiles, renderRunFile, renderSharedFiles } from './render.ts';
import { summarizeRun } from './summary.ts';
import type { PipelineModel, ReportConfig, ReportModel, RunSummary } from './types.ts';
import { openFolderSwap, removeUnlisted, withReportFolder, writeOneInPlace, type FolderSwap } from './write.ts';

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

/** size:mtime of a path, '-' when absent: stat only, nothing read. */
function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
}

/** The file is still what the manifest says was written. */
function unchangedOnDisk(www: string, k: string, record: FileRecord): boolean {
  return stamp(join(www, k)) === `${record.size}:${record.mtimeMs}`;
}

export async function fullRewrite(stateDir: string, config: ReportConfig, opts: { now?: Date; logTailBytes?: number } = {}): Promise<RewriteResult> {
  const now = opts.now ?? new Date();
  const tail = opts.logTailBytes ?? LOG_TAIL_BYTES;
  const paths = statePaths(stateDir);
  const www = paths.www;
  const fingerprint = fingerprintOf(config);
  const [manifest, previous, hasReport] = await Promise.all([
    readManifest(stateDir, fingerprint),
    readCache(stateDir, config),
    access(join(www, 'index.html')).then(
      () => true,
      () => false,
    ),
  ]);
  const differential = manifest.size > 0 && hasReport;
  // No update may trust the old cache if this rewrite dies half-way.
  await dropCache(stateDir);
  const hosts = await listHostStates(stateDir);
  const numbers = new Map<string, number[]>();
  const pipelines = new Map<string, PipelineCache>();
  for (const p of config.pipelines) {
    numbers.set(p.name, await listRunNumbers(stateDir, p.name));
    pipelines.set(p.name, { state: await readPipelineState(stateDir, p.name), runs: [] });
  }
  // Run pages need to know which pages exist, not the other runs: a model with numbers only.
  const early = contextFor(modelFrom(config, pipelines, hosts, now));
  for (const [name, ns] of numbers) early.runPages.set(name, new Set(ns));
  const hostsKey = inputKey(early.hostNames);

  const records = new Map<string, FileRecord>();
  let written = 0;
  let runsRead = 0;
  let kept = 0;
  let fragments: ReturnType<typeof fragmentsOf> = { all: new Map(), made: new Map() };
  await withReportFolder(www, async () => {
    const swap: FolderSwap | undefined = differential ? undefined : await openFolderSwap(www);
    const made = new Set<string>();
    const put = async (k: string, html: string, input?: string, group?: string): Promise<void> => {
      const hash = contentHash(html, now);
      const before = manifest.get(k);
      const about = { ...(input === undefined ? {} : { input }), ...(group === undefined ? {} : { group }) };
      if (swap === undefined && before?.hash === hash && unchangedOnDisk(www, k, before)) {
        records.set(k, { hash, size: before.size, mtimeMs: before.mtimeMs, ...about });
        kept++;
        return;
      }
      const w = swap ? await swap.write(k, html) : await writeOneInPlace(www, k, html, made);
      records.set(k, { hash, size: w.size, mtimeMs: w.mtimeMs, ...about });
      written++;
    };
    // A pipeline's pages and badges are made from its state and runs, the hosts and their names.
    const groups = new Map<string, Array<[string, FileRecord]>>();
    for (const [k, r] of manifest) if (r.group !== undefined) (groups.get(r.group) ?? groups.set(r.group, []).get(r.group)!).push([k, r]);
    const hostsStateKey = inputKey([JSON.stringify(hosts)]);
    try {
      for (const p of config.pipelines) {
        const known = new Map((previous?.pipelines.get(p.name)?.runs ?? []).map((r) => [r.number, r]));
        const summaries: RunSummary[] = [];
        const inputs = new Map<number, string>();
        const toRead: number[] = [];
        for (const [i, n] of (numbers.get(p.name) ?? []).entries()) {
          if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
          const k = key(pagePath.run(p.name, n));
          const input = inputKey([stamp(paths.runFile(p.name, n)), stamp(paths.logsDir(p.name, n)), hostsKey]);
          inputs.set(n, input);
          const before = manifest.get(k);
          const summary = known.get(n);
          // An ended run is never rewritten: same file, same logs, same page.
          if (differential && before?.input === input && summary !== undefined && ENDED_STATUSES.includes(summary.status) && unchangedOnDisk(www, k, before)) {
            summaries.push(summary);
            records.set(k, before);
            kept++;
          } else {
            toRead.push(n);
          }
        }
        await forEachRun(stateDir, p.name, toRead, async (run) => {
          summaries.push(summarizeRun(run));
          const [k, html] = renderRunFile(await readRunDetail(stateDir, run, tail), early);
          await put(k, html, inputs.get(run.number));
          runsRead++;
        });
        pipelines.get(p.name)!.runs = summaries.sort(byNewest);
      }
      const model = modelFrom(config, pipelines, hosts, now);
      const ctx = contextFor(model);
      fragments = fragmentsOf(model, ctx);
      for (const files of [renderSharedFiles(model, ctx, fragments.all), renderHostFiles(model, ctx)]) for (const [k, v] of files) await put(k, v);
      for (const p of model.pipelines) {
        const input = inputKey([JSON.stringify(p.state), JSON.stringify(p.runs), hostsKey, hostsStateKey]);
        const before = groups.get(p.name) ?? [];
        // Its history pages are most of the rendering: skipped when nothing they show changed.
        if (differential && before.length > 0 && before.every(([k, r]) => r.input === input && unchangedOnDisk(www, k, r))) {
          for (const [k, r] of before) records.set(k, r);
          kept += before.length;
          continue;
        }
        for (const [k, v] of renderPipelineFiles(p, ctx)) await put(k, v, input, p.name);
      }
      if (swap) await swap.commit();
      else await removeUnlisted(www, new Set(records.keys()));
    } catch (err) {
      await swap?.abort();
      throw err;
    }
  });
  // Unchanged pipelines keep their cache file; meta.json (dropped above) is written again.
  const changed = new Set([...pipelines].filter(([name, c]) => JSON.stringify(c.runs) !== JSON.stringify(previous?.pipelines.get(name)?.runs) || JSON.stringify(c.state) !== JSON.stringify(previous?.pipelines.get(name)?.state)).map(([name]) => name));
  const digests = digestsOf(config, pipelines, now);
  await writeDigests(stateDir, fingerprint, new Map([...digests].map(([n, digest]) => [n, { digest, fragments: fragments.made.get(n) }])));
  await writeCache(stateDir, { fingerprint, pipelines, hosts: hostStamps(hosts) }, previous === undefined ? undefined : changed, true);
  await writeManifest(stateDir, fingerprint, records);
  return { mode: 'full', written, runsRead, kept };
}

/** What each host's state was, to tell a changed one in the next update (any process). */
export function hostStamps(hosts: HostState[]): Map<string, string> {
  // Without the observation time and count: an observation that changed nothing renders nothing.
  const quiet = (k: string, v: unknown): unknown => (k === 'observedAt' || k === 'drifted' ? undefined : v);
  return new Map(hosts.map((h) => [h.host, inputKey([JSON.stringify(h, quiet)])]));
}
