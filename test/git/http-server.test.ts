import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer }) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('test git server', () => {
  let server: GitServer;
  let repo: TestRepo;
  before(async () => {
    server = await startGitServer({ token: 'srv-token' });
    repo = await createRepo(server, 'app', { 'a.txt': 'a' });
  });
  after(() => server.close());

  it('asks for Basic auth without the token and passes with it', async () => {
    const url = `${repo.url}/info/refs?service=git-upload-pack`;
    const denied = await send(url, {});
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /^Basic /);
    const wrong = await send(url, { headers: { Authorization: `Basic ${Buffer.from('u:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const ok = await send(url, { headers: { Authorization: `Basic ${Buffer.from('u:srv-token').toString('base64')}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'application/x-git-upload-pack-advertisement');
    assert.ok(ok.body.includes(`${repo.head} refs/heads/main`));
  });

  it('accepts a gzip request body and protocol v2', async () => {
    const res = await send(`${repo.url}/git-upload-pack`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('u:srv-token').toString('base64')}`,
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
        'Git-Protocol': 'version=2',
      },
      body: gzipSync(Buffer.from('0014command=ls-refs\n00010000')),
    });
    assert.equal(res.status, 200);
    assert.ok(res.body.includes(`${repo.head} refs/heads/main`), res.body);
  });

  it('answers 404 for a repo that does not exist', async () => {
    const res = await send(`${server.repoUrl('nope')}/info/refs?service=git-upload-pack`, {
      headers: { Authorization: `Basic ${Buffer.from('u:srv-token').toString('base64')}` },
    });
    assert.equal(res.status, 404);
  });
});
