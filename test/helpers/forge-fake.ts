// A local fake of a forge's commit-status API (real HTTP on 127.0.0.1): it records every request
// as it arrived and answers 201, or (slow) never answers. Tests check path, headers and body
// against what GitHub, Gitea and GitLab document.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface ForgeFake {
  url: string;
  requests: ForgeRequest[];
  close(): Promise<void>;
}

export async function startForgeFake(opts: { slow?: boolean; status?: number } = {}): Promise<ForgeFake> {
  const requests: ForgeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the test then fails on it
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      if (opts.slow) return;
      res.writeHead(opts.status ?? 201, { 'Content-Type': 'application/json' });
      res.end('{"id":1}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
