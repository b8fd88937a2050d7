// slipway's own smart-HTTP client against the real git http-backend: credentials in the URL, a
// server that is no git remote, and a pack cut off half-way (nothing of it may stay behind).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitError } from '../../src/errors.ts';
import { fetchMirror, readLocalRef } from '../../src/git/mirror.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

const TOKEN = 'smart-http-token-5e1f';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('smart HTTP', () => {
  let locked: GitServer;
  let priv: TestRepo;
  let temp: string;
  const servers: Server[] = [];

  before(async () => {
    locked = await startGitServer({ token: TOKEN });
    priv = await createRepo(locked, 'priv', { 'big.bin': randomBytes(300_000), 'a.txt': 'a\n' });
    temp = await mkdtemp(join(tmpdir(), 'slipway-smart-http-'));
  });
  after(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await locked.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('fetches with credentials written in the URL', async () => {
    const url = priv.url.replace('http://', `http://x-access-token:${TOKEN}@`);
    const gitdir = join(temp, 'url-creds.git');
    assert.deepEqual(await fetchMirror({ remote: { url, branch: 'main' }, gitdir }), { head: priv.head, fetched: true });
  });

  it('says so when the server is no git remote', async () => {
    const web = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>'));
    servers.push(web);
    const url = `${await listen(web)}/app.git`;
    await assert.rejects(fetchMirror({ remote: { url, branch: 'main' }, gitdir: join(temp, 'web.git') }), {
      name: 'GitError',
      message: `${url} is not a git smart-HTTP remote`,
    });
  });

  it('a pack cut off half-way fails the fetch and leaves no file and no ref behind', async () => {
    // A proxy that passes everything but ends the pack response after 40 kB.
    const target = new URL(locked.url);
    const proxy = createServer((req, res) => {
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 500, upRes.headers);
        if (!req.url?.endsWith('/git-upload-pack')) return void upRes.pipe(res);
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (sent > 40_000) return;
          sent += chunk.length;
          res.write(chunk);
          if (sent > 40_000) res.socket?.destroy();
        });
        upRes.on('end', () => res.end());
      });
      req.pipe(up);
    });
    servers.push(proxy);
    const url = `${await listen(proxy)}/priv.git`;
    const gitdir = join(temp, 'cut.git');
    await assert.rejects(fetchMirror({ remote: { url, branch: 'main', auth: { username: 'x-access-token', token: TOKEN } }, gitdir }), (err: unknown) => {
      assert.ok(err instanceof GitError, String(err));
      assert.ok(!err.message.includes(TOKEN));
      assert.equal(err.message, `cannot fetch from ${url}: ECONNRESET`, 'failed at the cut, not at the idle timeout');
      return true;
    });
    assert.deepEqual(await readdir(join(gitdir, 'objects', 'pack')), []);
    assert.equal(await readLocalRef(gitdir, 'refs/heads/main'), undefined);
  });
});
