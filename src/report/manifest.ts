// What the last full rewrite put in STATE/www, file by file: a hash of each file's content and the
// size and mtime it had when written, plus (for run pages) a key of what the page was made from.
// A full rewrite then renders only pages whose inputs changed and writes only files whose content
// changed (measured: writing 11,000 unchanged files was half of a 10,000-run rewrite), so
// `slipway report` costs about a `cp -r` of the report when little changed. A file whose size or
// mtime on disk differs from the record (deleted, edited, rewritten since) is written again.
// Derived data like the rest of STATE/cache/report/: a missing or odd manifest means "write all".
// Beside the files: per pipeline, a stamp of its state files as that rewrite read them and a key
// of its content (digest.ts contentKeyOf), so the next rewrite can tell an unchanged pipeline
// from stat data alone and leave its summaries unread (full-rewrite.ts).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir, writeDerivedFile } from './cache.ts';

// 2: run pages' input is their record's stamp (stamps.ts); host names and pipeline stamps beside the files.
const MANIFEST_VERSION = 2;

export interface FileRecord {
  /** sha1 of the content, the generation time masked (see contentHash). */
  hash: string;
  size: number;
  mtimeMs: number;
  /** What the file was made from: run pages (their record's stamp), host pages and pipeline files. */
  input?: string;
  /** Pipeline files: the pipeline they belong to (all are made, or kept, together). */
  group?: string;
}

/** A pipeline as the rewrite that wrote the manifest found it. */
export interface PipelineRecord {
  /** pipelineStamp of its state and run files, taken before they were read. */
  stamp: string;
  /** contentKeyOf its state and run summaries. */
  content: string;
}

export interface Manifest {
  files: Map<string, FileRecord>;
  /** inputKey of the report's host names (run pages link to host pages). */
  hostsKey?: string;
  pipelines: Map<string, PipelineRecord>;
  /** mtime of each report folder once the rewrite was done (write.ts removeUnlistedSince). */
  folders: Map<string, number>;
}

function manifestFile(stateDir: string): string {
  return join(cacheDir(stateDir), 'files.json');
}

/** The records of the last full rewrite for this fingerprint; empty when there is none that fits. */
export async function readManifest(stateDir: string, fingerprint: string): Promise<Manifest> {
  const none: Manifest = { files: new Map(), pipelines: new Map(), folders: new Map() };
  try {
    const v = JSON.parse(await readFile(manifestFile(stateDir), 'utf8')) as { version?: unknown; fingerprint?: unknown; files?: unknown; hostsKey?: unknown; pipelines?: unknown; folders?: unknown };
    if (v.version !== MANIFEST_VERSION || v.fingerprint !== fingerprint || typeof v.files !== 'object' || v.files === null) return none;
    const files = new Map<string, FileRecord>();
    for (const [key, r] of Object.entries(v.files as Record<string, unknown>)) {
      const [hash, size, mtimeMs, input, group] = r as [unknown, unknown, unknown, unknown, unknown];
      if (typeof hash !== 'string' || typeof size !== 'number' || typeof mtimeMs !== 'number') return none;
      const record: FileRecord = { hash, size, mtimeMs };
      if (typeof input === 'string') record.input = input;
      if (typeof group === 'string') record.group = group;
      files.set(key, record);
    }
    const pipelines = new Map<string, PipelineRecord>();
    for (const [name, r] of Object.entries(typeof v.pipelines === 'object' && v.pipelines !== null ? (v.pipelines as Record<string, unknown>) : {})) {
      const [stamp, content] = r as [unknown, unknown];
      if (typeof stamp === 'string' && typeof content === 'string') pipelines.set(name, { stamp, content });
    }
    const folders = new Map<string, number>();
    for (const [f, t] of Object.entries(typeof v.folders === 'object' && v.folders !== null ? (v.folders as Record<string, unknown>) : {})) if (typeof t === 'number') folders.set(f, t);
    return { files, pipelines, folders, ...(typeof v.hostsKey === 'string' ? { hostsKey: v.hostsKey } : {}) };
  } catch {
    return none;
  }
}

export async function writeManifest(stateDir: string, fingerprint: string, manifest: Manifest): Promise<void> {
  const compact: Record<string, unknown[]> = {};
  for (const [key, r] of manifest.files) {
    compact[key] = r.group !== undefined ? [r.hash, r.size, r.mtimeMs, r.input ?? '', r.group] : r.input !== undefined ? [r.hash, r.size, r.mtimeMs, r.input] : [r.hash, r.size, r.mtimeMs];
  }
  const pipelines = Object.fromEntries([...manifest.pipelines].map(([name, r]) => [name, [r.stamp, r.content]]));
  const folders = Object.fromEntries(manifest.folders);
  await writeDerivedFile(manifestFile(stateDir), JSON.stringify({ version: MANIFEST_VERSION, fingerprint, hostsKey: manifest.hostsKey, pipelines, folders, files: compact }));
}

/** The manifest says the same as `before`: then it need not be written (1.5 MB for 11,000 files). */
export function sameManifest(a: Manifest, before: Manifest): boolean {
  if (a.hostsKey !== before.hostsKey || a.files.size !== before.files.size || a.pipelines.size !== before.pipelines.size || a.folders.size !== before.folders.size) return false;
  for (const [f, t] of a.folders) if (before.folders.get(f) !== t) return false;
  for (const [k, r] of a.pipelines) {
    const b = before.pipelines.get(k);
    if (b?.stamp !== r.stamp || b.content !== r.content) return false;
  }
  for (const [k, r] of a.files) {
    const b = before.files.get(k);
    if (b !== r && (b?.hash !== r.hash || b.size !== r.size || b.mtimeMs !== r.mtimeMs || b.input !== r.input || b.group !== r.group)) return false;
  }
  return true;
}

/**
 * The content's hash with every spelling of the generation time masked: pages say when they were
 * generated, and a page that differs only there has not changed (it keeps its older time, which
 * stays true: it was generated then and still shows the state).
 */
export function contentHash(content: string, generatedAt: Date): string {
  const iso = generatedAt.toISOString();
  const forms = [iso, iso.slice(0, 19).replace('T', ' '), iso.slice(0, 16).replace('T', ' ')];
  let masked = content;
  for (const form of forms) masked = masked.split(form).join('\0');
  return createHash('sha1').update(masked).digest('hex');
}

/** A short key of the things a value is made from. */
export function inputKey(parts: ReadonlyArray<string | number>): string {
  return createHash('sha1').update(parts.join('\0')).digest('hex').slice(0, 20);
}
