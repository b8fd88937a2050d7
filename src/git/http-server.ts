// A smart-HTTP git server: `git http-backend` run as CGI per request, on 127.0.0.1. `slipway demo`
// serves its sample repo with it, and the tests and benchmarks use it as their git remote.
// slipway fetches over smart HTTP only, so file:// or bare-path remotes cannot stand in for this.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

export interface GitHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  root: string;
  port: number;
  /** The token the server requires, when it requires one (createRepo pushes with it). */
  token?: string;
  repoUrl(name: string): string;
  close(): Promise<void>;
}

export async function startGitHttpServer(opts: { root?: string; token?: string } = {}): Promise<GitHttpServer> {
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'slipway-git-server-')));
  const server = createServer((req, res) => {
    const user = authorizedUser(req, opts.token);
    if (user === null) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="slipway-test"' }).end('authentication required\n');
      return;
    }
    serveCgi(req, res, root, user);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    root,
    port,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    repoUrl: (name) => `${url}/${name}.git`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}

/** The user name when the request may pass, '' for anonymous, null when it must get a 401. */
function authorizedUser(req: IncomingMessage, token: string | undefined): string | null {
  if (token === undefined) return '';
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(colon + 1) !== token) return null;
  return decoded.slice(0, colon) || 'user';
}

function serveCgi(req: IncomingMessage, res: ServerResponse, root: string, user: string): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      // Lets tests `git push` over HTTP without a per-repo config (http-backend only allows
      // receive-pack for authenticated users unless this is set).
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: root,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      PATH_INFO: decodeURIComponent(url.pathname),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const body = req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
  body.pipe(child.stdin);
  child.stdin.on('error', () => {});
  child.on('error', () => res.writeHead(500).end());

  // CGI output: header lines, a blank line, then the body. `Status:` becomes the HTTP status.
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    const endLf = head.indexOf('\n\n');
    const cut = end >= 0 ? { at: end, len: 4 } : endLf >= 0 ? { at: endLf, len: 2 } : null;
    if (cut === null) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, cut.at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(cut.at + cut.len));
  });
  child.stdout.on('end', () => {
    if (!headersDone) res.writeHead(500);
    res.end();
  });
}
