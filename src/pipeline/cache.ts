// Caches between runs (`cache: { key: [package-lock.json], paths: [node_modules], maxSize }`):
// before the test commands, the archive whose key matches the commit's key files is unpacked
// into the workspace; after the tests passed, a missing one is packed (the same deterministic
// tar.gz as artifacts, links never followed). Per pipeline, in STATE/cache/pipelines/NAME/KEY.tar.gz,
// bounded by maxSize: the least recently used archives go first.
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat, utimes, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/types.ts';
import { extractTarGz } from '../exec/tar.ts';
import type { StepLog } from '../exec/log-file.ts';
import { packArtifact } from './artifact.ts';
import { statePaths } from '../state/paths.ts';
import type { StepOutcome } from './step.ts';

export interface CacheSpec {
  key: string[];
  paths: string[];
  maxSizeBytes: number;
}

/** The key: a hash of the key files' names and contents (a missing file counts as missing). */
export async function cacheKey(workspace: string, spec: CacheSpec): Promise<string> {
  const hash = createHash('sha256');
  for (const file of spec.key) {
    hash.update(`${file}\0`);
    const content = await readFile(join(workspace, file)).catch(() => undefined);
    hash.update(content === undefined ? 'missing\0' : `${content.length}\0`);
    if (content) hash.update(content);
  }
  hash.update(`paths\0${spec.paths.join('\0')}`);
  return hash.digest('hex').slice(0, 32);
}

export function cacheFolder(stateDir: string, pipeline: PipelineConfig): string {
  return statePaths(stateDir).cacheArchives(pipeline.name);
}

export async function restoreCache(opts: { dir: string; workspace: string; spec: CacheSpec }, log: StepLog): Promise<StepOutcome & { key: string; hit: boolean }> {
  const key = await cacheKey(opts.workspace, opts.spec);
  const file = join(opts.dir, `${key}.tar.gz`);
  const found = await stat(file).catch(() => undefined);
  if (!found) {
    log.write(`cache miss (key ${key}): nothing restored; it is saved when the tests pass\n`);
    return { ok: true, key, hit: false };
  }
  for (const p of opts.spec.paths) await rm(join(opts.workspace, p.replace(/\/+$/, '')), { recursive: true, force: true });
  await extractTarGz(file, opts.workspace);
  const now = new Date();
  await utimes(file, now, now); // least recently used goes first when the cache is full
  log.write(`cache hit (key ${key}): restored ${opts.spec.paths.join(', ')} (${found.size} bytes)\n`);
  return { ok: true, key, hit: true };
}

export async function saveCache(opts: { dir: string; workspace: string; spec: CacheSpec; key: string }, log: StepLog): Promise<StepOutcome> {
  const file = join(opts.dir, `${opts.key}.tar.gz`);
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const present = [];
  for (const p of opts.spec.paths) if (await stat(join(opts.workspace, p)).catch(() => undefined)) present.push(p);
  if (present.length === 0) {
    log.write(`nothing to cache: none of ${opts.spec.paths.join(', ')} exists after the tests\n`);
    return { ok: true };
  }
  const info = await packArtifact(opts.workspace, present, file);
  if (info.bytes > opts.spec.maxSizeBytes) {
    await rm(file, { force: true });
    log.write(`not cached: ${info.bytes} bytes is more than cache.maxSize (${opts.spec.maxSizeBytes} bytes)\n`);
    return { ok: true };
  }
  log.write(`cached ${present.join(', ')}: ${info.files} files, ${info.bytes} bytes (key ${opts.key})\n`);
  const removed = await pruneCaches(opts.dir, opts.spec.maxSizeBytes);
  if (removed.length > 0) log.write(`removed ${removed.length} least recently used cache archive${removed.length === 1 ? '' : 's'} to stay under cache.maxSize\n`);
  return { ok: true };
}

/** Keep the newest-used archives whose total stays within maxSize. */
export async function pruneCaches(dir: string, maxSizeBytes: number): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.tar.gz'));
  const files = await Promise.all(names.map(async (n) => ({ n, st: await stat(join(dir, n)) })));
  files.sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
  let total = 0;
  const removed: string[] = [];
  for (const f of files) {
    total += f.st.size;
    if (total > maxSizeBytes) {
      await rm(join(dir, f.n), { force: true });
      removed.push(f.n);
    }
  }
  return removed;
}
