// The daemon's optional HTTP server (server.listen): the report, read-only, straight from
// STATE/www; POST /hooks/PIPELINE to poll a pipeline now; GET /healthz for monitoring. Bodies are
// read up to 1 MB (a push payload is a few KB) so a client cannot make the daemon buffer without
// end; a request without a valid signature changes nothing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { handleLive } from './live-routes.ts';
import { verifyWebhook, type Forge } from './webhook-signature.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Open connections at most: beyond it new ones are closed at once, so a client that opens
 * sockets without end cannot exhaust the daemon's file descriptors (which its runs need too).
 */
export const MAX_CONNECTIONS = 256;
/** Files up to this size are read whole from their descriptor and sent from memory. */
const WHOLE_FILE_BYTES = 8 * 1024 * 1024;

export interface ServerHooks {
  /** The report folder (STATE/www). */
  www(): string;
  /** The current webhook secret; undefined refuses every hook. */
  secret(): string | undefined;
  /** Is this a configured pipeline? */
  hasPipeline(name: string): boolean;
  /** Poll it now. */
  onHook(pipeline: string, forge: Forge): void;
  /** What /healthz reports (besides ok). */
  health(): Record<string, unknown>;
  /** GET /metrics: Prometheus text, or undefined for 404 (src/daemon/metrics.ts). */
  metrics?(): string | undefined;
  /** Each webhook's answer, for /metrics. */
  webhookAnswered?(status: number): void;
  log(level: 'info' | 'warn' | 'debug', line: string): void;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.xml': 'application/xml', '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8', '.png': 'image/png', '.ico': 'image/x-icon',
};

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

export async function startHttpServer(listen: string, hooks: ServerHooks): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res, hooks).catch((e: unknown) => {
      hooks.log('warn', `http: ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // A slow or stuck client must not hold a socket for months.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxConnections = MAX_CONNECTIONS;
  // Without listeners these end the daemon: a malformed request, a reset socket, EMFILE on accept.
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('error', (e) => hooks.log('warn', `http: ${e.message}`));
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const address = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : listen;
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, hooks: ServerHooks): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    return send(res, 200, `${JSON.stringify({ ok: true, ...hooks.health() })}\n`, { 'content-type': 'application/json' });
  }
  if (url.pathname.startsWith('/live/') && (await handleLive(req, res, { stateDir: dirname(hooks.www()), hasPipeline: hooks.hasPipeline }, url.pathname))) return;
  const hook = /^\/hooks\/([^/]+)$/.exec(url.pathname);
  if (url.pathname === '/metrics') return serveMetrics(req, res, hooks);
  if (hook) {
    res.once('finish', () => hooks.webhookAnswered?.(res.statusCode));
    return handleHook(req, res, hooks, decodeURIComponent(hook[1]!));
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed: the report is read-only\n', { allow: 'GET, HEAD' });
  return serveFile(req, res, hooks.www(), url.pathname);
}

async function handleHook(req: IncomingMessage, res: ServerResponse, hooks: ServerHooks, pipeline: string): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, 'method not allowed: hooks take POST\n', { allow: 'POST' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return tooLarge(req, res);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return tooLarge(req, res);
    chunks.push(chunk);
  }
  const secret = hooks.secret();
  const forge = secret === undefined ? undefined : verifyWebhook(req.headers, Buffer.concat(chunks), secret);
  if (!forge) {
    hooks.log('warn', `http: hook for ${JSON.stringify(pipeline)} refused: ${secret === undefined ? 'no server.webhookSecret is configured' : 'missing or wrong signature'}`);
    return send(res, 401, secret === undefined ? 'webhooks need server.webhookSecret\n' : 'bad signature\n');
  }
  // Checked after the signature, so an unsigned caller cannot probe which pipelines exist.
  if (!hooks.hasPipeline(pipeline)) return send(res, 404, 'no such pipeline\n');
  hooks.onHook(pipeline, forge);
  return send(res, 202, 'poll queued\n');
}

function serveMetrics(req: IncomingMessage, res: ServerResponse, hooks: ServerHooks): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const text = hooks.metrics?.();
  if (text === undefined) return send(res, 404, 'not found\n');
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  send(res, 413, `body over ${MAX_BODY_BYTES} bytes\n`, { connection: 'close' });
  req.destroy();
}

async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, pathname: string): Promise<void> {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
  } catch {
    return send(res, 400, 'bad path\n');
  }
  if (rel.split(sep).includes('..') || rel.includes('\0')) return send(res, 404, 'not found\n');
  // One descriptor is the snapshot: the report's full rewrite renames new files over old ones and
  // retention deletes pages, so a name looked up twice can be two files or none. What is sent is
  // exactly the file opened, with its own length, or a 404.
  let handle = await openFile(join(root, rel));
  let file = join(root, rel);
  try {
    let info = handle ? await handle.stat() : undefined;
    if (handle && info?.isDirectory()) {
      await handle.close();
      file = join(file, 'index.html');
      handle = await openFile(file);
      info = handle ? await handle.stat() : undefined;
    }
    if (!handle || !info?.isFile()) return send(res, 404, 'not found\n');
    const headers = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    };
    if (info.size <= WHOLE_FILE_BYTES) {
      const body = await handle.readFile();
      res.writeHead(200, { ...headers, 'content-length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    res.writeHead(200, { ...headers, 'content-length': info.size });
    if (req.method === 'HEAD') return void res.end();
    // Big files (a long step log) stream from the same descriptor, exactly `size` bytes.
    const stream = createReadStream('', { fd: handle.fd, start: 0, end: info.size - 1, autoClose: false });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    await new Promise<void>((resolve) => {
      stream.on('close', resolve);
      stream.pipe(res);
    });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function openFile(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
