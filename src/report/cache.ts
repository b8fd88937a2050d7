// What the last update knew, so the next one reads only what changed: per pipeline, its state and
// the summary of every run. Ended runs are never rewritten (the state's contract), so their
// summaries stay true; runs that had not ended are read again every time. Kept in
// STATE/cache/report/ for the next update, in this process or another (`slipway once` is one per
// poll); only the digests are also held in memory while their files are unchanged (readJsonHeld). It is derived data: anything odd in it and the update falls back to a full rewrite.

import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTemp, withFileQueue } from '../state/atomic.ts';
import type { PipelineState } from '../state/types.ts';
import { fileSegment } from './format.ts';
import { statStamp } from './stamps.ts';
import type { ReportConfig, RunSummary } from './types.ts';
import type { PipelineDigest } from './digest.ts';
import type { KeptFragments } from './pipeline-fragments.ts';
import { statePaths } from '../state/paths.ts';

/** Bump when the pages change shape: the first update after an upgrade then rewrites them all. */
const REPORT_FORMAT = 2;
// 2: run summaries carry their DORA facts.
const CACHE_VERSION = 2;

export interface PipelineCache {
  state: PipelineState;
  /** Newest first. */
  runs: RunSummary[];
}

export interface ReportCache {
  fingerprint: string;
  pipelines: Map<string, PipelineCache>;
  /** A stamp of each host's state as last rendered (full-rewrite.ts hostStamps). */
  hosts?: Map<string, string>;
  /** hostPageKey of each host page as last written. */
  pages?: Map<string, string>;
}

let codeHash: string | undefined;

/**
 * The report's own code (this folder's files): pages made by other renderers are stale, so an
 * upgrade rewrites them without anyone having to remember to bump REPORT_FORMAT.
 */
function rendererCode(): string {
  if (codeHash === undefined) {
    const dir = dirname(fileURLToPath(import.meta.url));
    const hash = createHash('sha256');
    for (const name of readdirSync(dir).sort()) if (/\.(js|ts)$/.test(name)) hash.update(name).update(readFileSync(join(dir, name)));
    codeHash = hash.digest('hex');
  }
  return codeHash;
}

/** Changes when anything the pages are made from, other than the state, changes. */
export function fingerprintOf(config: ReportConfig): string {
  const secrets = createHash('sha256').update(JSON.stringify([...config.secrets].sort())).digest('hex');
  return createHash('sha256')
    .update(JSON.stringify({ format: REPORT_FORMAT, code: rendererCode(), title: config.title, pipelines: config.pipelines, secrets }))
    .digest('hex');
}

export function cacheDir(stateDir: string): string {
  return statePaths(stateDir).reportCache;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

// A warm process (the daemon's report process) updates again and again, and each update reads
// every pipeline's digest: one that is still the same file as last read (every write renames a
// new file into place: a new inode) is not read and parsed again. Derived data only, and checked
// after as any read is (readDigests).
const held = new Map<string, { stamp: string; value: unknown }>();

// Synchronous: an update reads every pipeline's digest (50 small files), and four promise-based
// calls per file (open, fstat, read, close through the thread pool) cost more than the reads.
function readJsonHeld(file: string): unknown {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    held.delete(file);
    return undefined;
  }
  try {
    const stamp = statStamp(fstatSync(fd));
    const known = held.get(file);
    if (known?.stamp === stamp) return known.value;
    const value = JSON.parse(readFileSync(fd, 'utf8')) as unknown;
    held.set(file, { stamp, value });
    return value;
  } catch {
    held.delete(file);
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function isPipelineCache(v: unknown, name: string): v is { version: number; pipeline: string } & PipelineCache {
  const o = v as { version?: unknown; pipeline?: unknown; state?: { pipeline?: unknown }; runs?: unknown };
  return typeof o === 'object' && o !== null && o.version === CACHE_VERSION && o.pipeline === name && o.state?.pipeline === name && Array.isArray(o.runs);
}

const isStringMap = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');

/** The valid cache's host stamps and page keys (absent without them); undefined when no cache fits this config. */
export async function readCacheMeta(stateDir: string, config: ReportConfig): Promise<{ fingerprint: string; hosts?: Map<string, string>; pages?: Map<string, string> } | undefined> {
  const fingerprint = fingerprintOf(config);
  const dir = cacheDir(stateDir);
  const [meta, hosts] = (await Promise.all([readJson(join(dir, 'meta.json')), readJson(join(dir, 'hosts.json'))])) as Array<{ version?: unknown; fingerprint?: unknown; hosts?: unknown; pages?: unknown } | undefined>;
  if (meta?.version !== CACHE_VERSION || meta.fingerprint !== fingerprint) return undefined;
  if (hosts?.version !== CACHE_VERSION || !isStringMap(hosts.hosts)) return { fingerprint };
  return { fingerprint, hosts: new Map(Object.entries(hosts.hosts)), ...(isStringMap(hosts.pages) ? { pages: new Map(Object.entries(hosts.pages)) } : {}) };
}

/** One pipeline's cached summaries (valid cache assumed: readCacheMeta); undefined when unusable. */
export async function readPipelineCache(stateDir: string, name: string): Promise<PipelineCache | undefined> {
  const v = await readJson(join(cacheDir(stateDir), 'pipelines', `${fileSegment(name)}.json`));
  return isPipelineCache(v, name) ? { state: v.state, runs: v.runs } : undefined;
}

// 2: one file per pipeline (digests/NAME.json), with the pipeline's pieces of the shared files.
// One digests.json of all pipelines (version 1) cost a fresh process 28 ms to read and 13 ms to
// write (1.4 MB for 50 pipelines) when one pipeline had changed.
const DIGESTS_VERSION = 2;

/** A pipeline's digest as kept: with its pieces of the shared files when they were rendered. */
export interface KeptDigest {
  digest: PipelineDigest;
  fragments?: KeptFragments;
}

function digestFile(stateDir: string, name: string): string {
  return join(cacheDir(stateDir), 'digests', `${fileSegment(name)}.json`);
}

function isDigest(v: unknown, name: string): v is PipelineDigest {
  const o = v as Partial<PipelineDigest> | undefined;
  return typeof o === 'object' && o !== null && o.state?.pipeline === name && typeof o.count === 'number' && Array.isArray(o.numbers) && Array.isArray(o.runs) && typeof o.madeAt === 'string';
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function isFragments(v: unknown): v is KeptFragments {
  const o = v as Partial<KeptFragments> | undefined;
  return typeof o === 'object' && o !== null && isStrings(o.row) && typeof o.card === 'string' && Array.isArray(o.dora) && o.dora.every(isStrings) && typeof o.status === 'string' && typeof o.hosts === 'string' && typeof o.until === 'number';
}

/** The digests of the pipelines named that are there and of this fingerprint; the others are rebuilt from their runs. */
export async function readDigests(stateDir: string, fingerprint: string, names: readonly string[]): Promise<Map<string, KeptDigest>> {
  const values = names.map((n) => readJsonHeld(digestFile(stateDir, n))) as Array<{ version?: unknown; fingerprint?: unknown; digest?: unknown; fragments?: unknown } | undefined>;
  const out = new Map<string, KeptDigest>();
  for (const [i, name] of names.entries()) {
    const v = values[i];
    if (v?.version !== DIGESTS_VERSION || v.fingerprint !== fingerprint || !isDigest(v.digest, name)) continue;
    out.set(name, isFragments(v.fragments) ? { digest: v.digest, fragments: v.fragments } : { digest: v.digest });
  }
  return out;
}

/**
 * Written before the pipelines' files and meta.json: a digest never knows less than the summaries
 * beside it, and a full rewrite drops them first (dropCache). Only the pipelines given are written.
 */
export async function writeDigests(stateDir: string, fingerprint: string, digests: ReadonlyMap<string, KeptDigest>): Promise<void> {
  await Promise.all(
    [...digests].map(async ([name, d]) => {
      const file = digestFile(stateDir, name);
      const value = { version: DIGESTS_VERSION, fingerprint, pipeline: name, ...d };
      // Held as written: the same values as read back (JSON types only), for the next update here.
      held.set(file, { stamp: await writeDerivedFile(file, JSON.stringify(value)), value });
    }),
  );
}

/**
 * Atomic (temp file, rename) but not fsynced: this is derived data, and after a crash a torn or
 * stale cache only costs a full rewrite (every read is checked). Measured on a busy disk, the
 * fsyncs were most of a fresh process's update.
 */
export function writeDerivedFile(path: string, data: string): Promise<string> {
  return withFileQueue(path, async () => {
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      // Summaries quote run errors and commit text: private like the state they come from. The
      // folder is made only when missing (writeDerivedFile was 115 ms of main-thread time in a
      // --cpu-prof of bench/fleet.ts's once with a mkdir before every write).
      const handle = await createTemp(temp);
      let stamp: string;
      try {
        await handle.writeFile(data);
        stamp = statStamp(await handle.stat());
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      return stamp;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  });
}

/** Saves the pipelines named (all when none are), then the meta file that makes the cache valid. */
export async function writeCache(stateDir: string, cache: ReportCache, only?: ReadonlySet<string>, meta = only === undefined): Promise<void> {
  const dir = cacheDir(stateDir);
  for (const [name, p] of cache.pipelines) {
    if (only !== undefined && !only.has(name)) continue;
    await writeDerivedFile(join(dir, 'pipelines', `${fileSegment(name)}.json`), JSON.stringify({ version: CACHE_VERSION, pipeline: name, ...p }));
  }
  if (cache.hosts !== undefined) {
    const pages = cache.pages === undefined ? {} : { pages: Object.fromEntries(cache.pages) };
    await writeDerivedFile(join(dir, 'hosts.json'), JSON.stringify({ version: CACHE_VERSION, hosts: Object.fromEntries(cache.hosts), ...pages }));
  }
  if (meta) await writeDerivedFile(join(dir, 'meta.json'), `${JSON.stringify({ version: CACHE_VERSION, fingerprint: cache.fingerprint })}\n`);
}

/**
 * Before a full rewrite: no update may trust the old cache if the rewrite dies half-way. The
 * digests stay: a rewrite uses one only where its content key is what the manifest says the
 * pipeline held and its state files' stamps are still those (full-rewrite.ts), and updates read
 * none until meta.json is back.
 */
export async function dropCache(stateDir: string): Promise<void> {
  await rm(join(cacheDir(stateDir), 'meta.json'), { force: true });
  // Version 1 kept every digest in one file.
  await rm(join(cacheDir(stateDir), 'digests.json'), { force: true });
}
