// What a running run's page reads from the daemon's server to follow it live (src/report/assets.ts,
// APP_JS): GET /live/runs/PIPELINE/N.json (the run's status and its steps' statuses, nothing
// else) and GET /live/logs/PIPELINE/N/STEP.log, which honours `Range: bytes=FROM-` so a page asks
// only for the bytes it has not seen. Logs were masked when written; names go through
// statePaths, which refuses separators and dot-dot, and only configured pipelines are served.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stat } from 'node:fs/promises';
import { readRun, statePaths } from '../state/store.ts';
import { readLogFrom } from '../state/log-reader.ts';
import type { RunRecord } from '../state/types.ts';

export interface LiveDeps {
  stateDir: string;
  hasPipeline(name: string): boolean;
}

/**
 * The part of a run record a live page needs: statuses, and each step's log size, so the page
 * asks for bytes only when there are new ones (no commit data).
 */
export function liveRunView(run: RunRecord, logBytes: ReadonlyMap<string, number>): Record<string, unknown> {
  return {
    version: 1,
    pipeline: run.pipeline,
    number: run.number,
    status: run.status,
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    stages: run.stages.map((s) => ({
      name: s.name,
      status: s.status,
      ...times(s),
      steps: s.steps.map((x) => ({ id: x.id, name: x.name, status: x.status, ...times(x), bytes: logBytes.get(x.id) ?? 0, ...(x.error !== undefined ? { error: x.error } : {}) })),
    })),
  };
}

function times(x: { startedAt?: string; finishedAt?: string }): { startedAt?: string; finishedAt?: string } {
  return { ...(x.startedAt !== undefined ? { startedAt: x.startedAt } : {}), ...(x.finishedAt !== undefined ? { finishedAt: x.finishedAt } : {}) };
}

/** Handles /live/…; false when the path is not one of its routes (the caller answers 404). */
export async function handleLive(req: IncomingMessage, res: ServerResponse, deps: LiveDeps, pathname: string): Promise<boolean> {
  const runMatch = /^\/live\/runs\/([^/]+)\/([1-9][0-9]{0,9})\.json$/.exec(pathname);
  const logMatch = /^\/live\/logs\/([^/]+)\/([1-9][0-9]{0,9})\/([^/]+)\.log$/.exec(pathname);
  if (!runMatch && !logMatch) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    return true;
  }
  let parts: string[];
  try {
    parts = (runMatch ?? logMatch)!.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    reply(res, 400, 'bad path\n');
    return true;
  }
  const [pipeline, n] = [parts[0]!, Number(parts[1])];
  if (!deps.hasPipeline(pipeline)) {
    reply(res, 404, 'not found\n');
    return true;
  }
  try {
    if (runMatch) {
      const run = await readRun(deps.stateDir, pipeline, n);
      const sizes = new Map<string, number>();
      for (const step of run.stages.flatMap((s) => s.steps)) {
        const info = await stat(statePaths(deps.stateDir).stepLog(pipeline, n, step.id)).catch(() => undefined);
        if (info) sizes.set(step.id, info.size);
      }
      reply(res, 200, `${JSON.stringify(liveRunView(run, sizes))}\n`, { 'content-type': 'application/json' }, req.method === 'HEAD');
    } else {
      await sendLog(req, res, statePaths(deps.stateDir).stepLog(pipeline, n, parts[2]!));
    }
  } catch (e) {
    // A run or step that does not exist (or a name the state paths refuse) is simply not there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || (e instanceof Error && e.name === 'StateError')) reply(res, 404, 'not found\n');
    else throw e;
  }
  return true;
}

async function sendLog(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  const range = req.headers.range;
  let from = 0;
  if (range !== undefined) {
    const m = /^bytes=(\d+)-$/.exec(range.trim());
    if (!m) return reply(res, 416, 'only "Range: bytes=FROM-" is supported\n');
    from = Number(m[1]);
  }
  const { bytes, size } = await readLogFrom(file, from);
  if (range !== undefined && from >= size) {
    // Nothing new yet: RFC 9110's answer for a range that starts at or past the end.
    return reply(res, 416, '', { 'content-range': `bytes */${size}` });
  }
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'accept-ranges': 'bytes' };
  if (range !== undefined) headers['content-range'] = `bytes ${from}-${from + bytes.length - 1}/${size}`;
  res.writeHead(range !== undefined ? 206 : 200, { ...headers, 'content-length': bytes.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, head = false): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(head ? undefined : body);
}
