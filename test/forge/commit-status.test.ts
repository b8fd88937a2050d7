// Commit statuses against local fakes of GitHub, Gitea and GitLab (real HTTP on 127.0.0.1): the
// exact paths, auth headers and bodies each forge documents; retries with backoff; a forge that is
// down or slow is recorded as not posted, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusPoster } from '../../src/forge/commit-status.ts';
import { statusDescription } from '../../src/forge/run-status.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { readStatusLog } from '../../src/state/status-log.ts';
import type { StatusTarget } from '../../src/config/types.ts';
import { startForgeFake } from '../helpers/forge-fake.ts';
import { waitFor } from '../helpers/wait.ts';

const SHA = 'c0ffee'.padEnd(40, '0');

async function withPoster(fn: (p: StatusPoster, stateDir: string, warnings: string[]) => Promise<void>, opts: { attemptTimeoutMs?: number; backoffMs?: number[] } = {}) {
  const stateDir = await mkdtemp(join(tmpdir(), 'slipway-status-'));
  const warnings: string[] = [];
  const poster = new StatusPoster({ stateDir, warn: (l) => warnings.push(l), changed: () => {}, attemptTimeoutMs: opts.attemptTimeoutMs ?? 2000, backoffMs: opts.backoffMs ?? [10, 20] });
  try {
    await fn(poster, stateDir, warnings);
  } finally {
    await poster.drain(5000);
    await rm(stateDir, { recursive: true, force: true });
  }
}

const cases: Array<{ forge: StatusTarget['forge']; repo: string; path: string; auth: [string, string]; body: (state: string) => Record<string, string> }> = [
  {
    forge: 'github',
    repo: 'acme/app',
    path: `/api/repos/acme/app/statuses/${SHA}`,
    auth: ['authorization', 'Bearer gh-token'],
    body: (state) => ({ state, context: 'slipway/test', description: state === 'pending' ? 'slipway is testing this commit' : 'tests passed', target_url: 'https://ci.example/runs/app/7.html' }),
  },
  {
    forge: 'gitea',
    repo: 'acme/app',
    path: `/api/repos/acme/app/statuses/${SHA}`,
    auth: ['authorization', 'token gitea-token'],
    body: (state) => ({ state, context: 'slipway/test', description: state === 'pending' ? 'slipway is testing this commit' : 'tests passed', target_url: 'https://ci.example/runs/app/7.html' }),
  },
  {
    forge: 'gitlab',
    repo: 'acme/sub/app',
    path: `/api/projects/acme%2Fsub%2Fapp/statuses/${SHA}`,
    auth: ['private-token', 'gitlab-token'],
    body: (state) => ({ state, name: 'slipway/test', description: state === 'pending' ? 'slipway is testing this commit' : 'tests passed', target_url: 'https://ci.example/runs/app/7.html' }),
  },
];

for (const c of cases) {
  test(`${c.forge}: pending then success, as the forge documents`, async () => {
    const fake = await startForgeFake();
    try {
      await withPoster(async (poster, stateDir) => {
        const token = c.auth[1].split(' ').pop()!;
        const target: StatusTarget = { forge: c.forge, api: `${fake.url}/api/`, repo: c.repo, token };
        for (const [state, description] of [['pending', 'slipway is testing this commit'], ['success', 'tests passed']] as const) {
          poster.post({ target, pipeline: 'app', run: 7, sha: SHA, status: { context: 'slipway/test', state, description, targetUrl: 'https://ci.example/runs/app/7.html' } });
        }
        await poster.drain(5000);
        assert.deepEqual(fake.requests.map((r) => [r.method, r.path]), [['POST', c.path], ['POST', c.path]]);
        for (const [i, state] of ['pending', 'success'].entries()) {
          const r = fake.requests[i]!;
          assert.equal(r.headers[c.auth[0]], c.auth[1]);
          assert.equal(r.headers['content-type'], 'application/json');
          if (c.forge === 'github') assert.equal(r.headers['x-github-api-version'], '2022-11-28');
          assert.deepEqual(r.body, c.body(c.forge === 'gitlab' && state === 'failure' ? 'failed' : state));
        }
        const log = await readStatusLog(stateDir, 'app', 7);
        assert.deepEqual(log?.posts.map((p) => [p.context, p.state, p.attempts, p.error]), [['slipway/test', 'pending', 1, undefined], ['slipway/test', 'success', 1, undefined]]);
      });
    } finally {
      await fake.close();
    }
  });
}

test('gitlab gets "failed" for a failure', async () => {
  const fake = await startForgeFake();
  try {
    await withPoster(async (poster) => {
      poster.post({ target: { forge: 'gitlab', api: fake.url, repo: '42', token: 't' }, pipeline: 'app', run: 1, sha: SHA, status: { context: 'slipway/deploy/prod', state: 'failure', description: 'x' } });
      await poster.drain(5000);
      assert.deepEqual(fake.requests[0]?.body, { state: 'failed', name: 'slipway/deploy/prod', description: 'x' });
      assert.equal(fake.requests[0]?.path, `/projects/42/statuses/${SHA}`);
    });
  } finally {
    await fake.close();
  }
});

test('a forge that is down is retried, then recorded as not posted and warned about once', async () => {
  const fake = await startForgeFake();
  const url = fake.url;
  await fake.close();
  await withPoster(async (poster, stateDir, warnings) => {
    const target: StatusTarget = { forge: 'github', api: url, repo: 'a/b', token: 't' };
    poster.post({ target, pipeline: 'app', run: 3, sha: SHA, status: { context: 'slipway/test', state: 'pending', description: 'x' } });
    poster.post({ target, pipeline: 'app', run: 3, sha: SHA, status: { context: 'slipway/test', state: 'success', description: 'y' } });
    await poster.drain(5000);
    const log = await readStatusLog(stateDir, 'app', 3);
    assert.deepEqual(log?.posts.map((p) => [p.state, p.attempts, p.error]), [
      ['pending', 3, `cannot reach ${url}: ECONNREFUSED`],
      ['success', 3, `cannot reach ${url}: ECONNREFUSED`],
    ]);
    assert.deepEqual(warnings, [`app #3: commit status not posted: cannot reach ${url}: ECONNREFUSED; the run goes on (see its page)`]);
  });
});

test('a slow forge: post() returns at once, each attempt is cut at its timeout', async () => {
  const fake = await startForgeFake({ slow: true });
  try {
    await withPoster(async (poster, stateDir) => {
      poster.post({ target: { forge: 'gitea', api: fake.url, repo: 'a/b', token: 't' }, pipeline: 'app', run: 4, sha: SHA, status: { context: 'slipway/test', state: 'pending', description: 'x' } });
      assert.equal(await readStatusLog(stateDir, 'app', 4), undefined, 'nothing waited for');
      await waitFor(async () => (await readStatusLog(stateDir, 'app', 4)) !== undefined, { timeoutMs: 5000, what: 'the status log' });
      const log = await readStatusLog(stateDir, 'app', 4);
      assert.deepEqual(log?.posts.map((p) => [p.attempts, p.error]), [[2, `no answer from ${fake.url} within 200 ms`]]);
      assert.equal(fake.requests.length, 2);
    }, { attemptTimeoutMs: 200, backoffMs: [10] });
  } finally {
    await fake.close();
  }
});

test('a 401 is not retried and says what to check', async () => {
  const fake = await startForgeFake({ status: 401 });
  try {
    await withPoster(async (poster, stateDir) => {
      poster.post({ target: { forge: 'github', api: fake.url, repo: 'a/b', token: 'bad' }, pipeline: 'app', run: 5, sha: SHA, status: { context: 'slipway/test', state: 'pending', description: 'x' } });
      await poster.drain(5000);
      const log = await readStatusLog(stateDir, 'app', 5);
      assert.deepEqual(log?.posts.map((p) => [p.attempts, p.error]), [[1, 'github answered HTTP 401 (check the token and its scope)']]);
    });
  } finally {
    await fake.close();
  }
});

test('a failed deploy status says what became of the hosts: rolled back, untouched, or a failed rollback', () => {
  const run = (hosts: Array<{ host: string; status: 'failed' | 'rolled-back' | 'untouched'; error?: string }>) =>
    ({ version: 1, pipeline: 'app', number: 1, status: 'failed', commit: { id: SHA }, branch: 'main', trigger: 'poll', stages: [{ name: 'deploy:prod', kind: 'deploy', environment: 'prod', status: 'failed', steps: [], hosts }] }) as unknown as RunRecord;
  assert.equal(statusDescription(run([{ host: 'web1', status: 'rolled-back' }, { host: 'web2', status: 'failed', error: 'health check: x' }]), 'failure', 'prod'), 'deploy to prod failed and was rolled back');
  assert.equal(statusDescription(run([{ host: 'web1', status: 'failed', error: 'connect: refused' }, { host: 'web2', status: 'untouched' }]), 'failure', 'prod'), 'deploy to prod failed; no host was changed');
  assert.equal(statusDescription(run([{ host: 'web1', status: 'failed', error: 'rollback failed: exit 1' }]), 'failure', 'prod'), 'deploy to prod failed; rollback failed on web1');
  assert.equal(statusDescription(run([]), 'failure'), 'tests failed');
  assert.equal(statusDescription(run([]), 'success', 'prod'), 'deployed to prod');
});
