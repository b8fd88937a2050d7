// The daemon's pure parts, table-driven: queue coalescing, webhook signatures, retention plans,
// notification events, journald log lines, poll backoff; and the shipped systemd unit and installer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunQueue, type Dispatch } from '../../src/daemon/queue.ts';
import { signWebhook, verifyWebhook } from '../../src/daemon/webhook-signature.ts';
import { planRetention } from '../../src/state/retention.ts';
import { buildPayload, eventsFor } from '../../src/daemon/notify.ts';
import { createLogger } from '../../src/daemon/log.ts';
import { backoffMs } from '../../src/daemon/poller.ts';
import type { RunRecord } from '../../src/state/types.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

test('the queue runs one job per pipeline, coalesces waiting commits to the newest, and respects concurrency', async () => {
  const started: Dispatch[] = [];
  const release: Array<() => void> = [];
  const q = new RunQueue({ concurrency: 2, execute: (d) => { started.push(d); return new Promise<void>((r) => release.push(r)); } });
  q.add('a', { kind: 'commit', commit: 'a1', trigger: 'poll' });
  q.add('a', { kind: 'commit', commit: 'a2', trigger: 'poll' });
  q.add('a', { kind: 'commit', commit: 'a3', trigger: 'poll' });
  q.add('a', { kind: 'commit', commit: 'a3', trigger: 'webhook' });
  q.add('b', { kind: 'commit', commit: 'b1', trigger: 'poll' });
  q.add('c', { kind: 'commit', commit: 'c1', trigger: 'poll' });
  assert.deepEqual(started.map((d) => d.pipeline), ['a', 'b'], 'two at once, c waits');
  release.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started.map((d) => d.pipeline), ['a', 'b', 'c'], 'c before a again: round robin');
  release.shift()!();
  await new Promise((r) => setImmediate(r));
  const second = started[3]!;
  assert.equal(second.pipeline, 'a');
  assert.deepEqual(second.job, { kind: 'commit', commit: 'a3', trigger: 'webhook' });
  assert.deepEqual(second.superseded.map((j) => (j.kind === 'commit' ? j.commit : '')), ['a2'], 'the same commit twice is one job');
  q.add('b', { kind: 'approve', run: 4, by: 'x' });
  assert.equal(q.stop().pending, 1);
  release.splice(0).forEach((r) => r());
  await q.drain();
});

test('the same commit asked for twice while it waits is one job that answers both askers', async () => {
  const started: Dispatch[] = [];
  const release: Array<() => void> = [];
  const q = new RunQueue({ concurrency: 1, execute: (d) => { started.push(d); return new Promise<void>((r) => release.push(r)); } });
  const heard: string[] = [];
  const reply = (who: string) => ({
    started: async (_p: string, n: number) => void heard.push(`${who} started #${n}`),
    refused: async (m: string) => void heard.push(`${who} refused: ${m}`),
    done: async () => void heard.push(`${who} done`),
  });
  q.add('a', { kind: 'commit', commit: 'a0', trigger: 'poll' });
  q.add('a', { kind: 'commit', commit: 'a1', trigger: 'trigger', reply: reply('first'), explicit: true });
  q.add('a', { kind: 'commit', commit: 'a1', trigger: 'trigger', reply: reply('second') });
  release.shift()!();
  await new Promise((r) => setImmediate(r));
  const job = started[1]!.job;
  assert.ok(job.kind === 'commit' && job.commit === 'a1' && job.explicit === true, 'an explicit --commit stays explicit');
  assert.equal(started[1]!.superseded.length, 0);
  await (job.kind === 'commit' ? job.reply : undefined)?.started('a', 7);
  await (job.kind === 'commit' ? job.reply : undefined)?.done();
  assert.deepEqual(heard.sort(), ['first done', 'first started #7', 'second done', 'second started #7'], 'neither asker is left without an answer');
  release.splice(0).forEach((r) => r());
  await q.drain();
});

test('webhook signatures: GitHub, Gitea and GitLab accepted with the secret, refused otherwise', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  for (const forge of ['github', 'gitea', 'gitlab'] as const) {
    assert.equal(verifyWebhook(signWebhook(forge, body, 's3cret'), body, 's3cret'), forge);
    assert.equal(verifyWebhook(signWebhook(forge, body, 'wrong'), body, 's3cret'), undefined, forge);
  }
  assert.equal(verifyWebhook(signWebhook('github', body, 's3cret'), Buffer.from('{"ref":"x"}'), 's3cret'), undefined, 'body changed');
  assert.equal(verifyWebhook({}, body, 's3cret'), undefined, 'no signature');
  assert.equal(verifyWebhook({ 'x-hub-signature-256': 'sha256=00' }, body, 's3cret'), undefined, 'short signature');
});

test('retention keeps the newest runs, unfinished ones and those still deployed', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  const r = (number: number, status: RunRecord['status'], daysAgo: number) => ({ number, status, createdAt: new Date(now.getTime() - daysAgo * 86_400_000).toISOString() });
  const runs = [r(1, 'deployed', 100), r(2, 'failed', 95), r(3, 'waiting', 94), r(4, 'passed', 50), r(5, 'failed', 10), r(6, 'deployed', 1)];
  assert.deepEqual(planRetention(runs, { days: 90 }, { now, protect: new Set([1]) }), [2]);
  assert.deepEqual(planRetention(runs, { runs: 2 }, { now, protect: new Set() }), [1, 2, 4]);
  assert.deepEqual(planRetention(runs, { runs: 1, days: 1 }, { now, protect: new Set([5]) }), [1, 2, 4]);
  assert.deepEqual(planRetention([r(1, 'failed', 400)], { runs: 1, days: 1 }, { now, protect: new Set() }), [], 'never the newest');
});

test('notification events: failure, recovery after a failure, deployed, waiting', () => {
  const cases: Array<[RunRecord['status'], 'good' | 'bad' | undefined, string[]]> = [
    ['failed', 'good', ['failure']],
    ['failed', 'bad', ['failure']],
    ['deployed', 'bad', ['recovery', 'deployed']],
    ['passed', 'bad', ['recovery']],
    ['deployed', 'good', ['deployed']],
    ['waiting', 'bad', ['waiting']],
    ['interrupted', 'bad', []],
    ['superseded', 'bad', []],
  ];
  for (const [status, previous, events] of cases) assert.deepEqual(eventsFor({ status }, previous), events, `${status} after ${previous}`);
  const payload = buildPayload('failure', {
    version: 1, pipeline: 'app', number: 7, status: 'failed', branch: 'main', trigger: 'poll', createdAt: '', stages: [],
    commit: { id: 'abcdef0123456789', message: 'fix tok-123\nbody', author: { name: 'A', email: 'a@x' }, time: '' }, error: 'tests failed with tok-123',
  }, {
    secrets: ['tok-123'],
    reportUrl: 'https://ci.example.com/slip/',
    failure: { step: { id: 'test-1', name: 'npm test', error: 'exited with code 1' }, logPath: 'logs/app/7/test-1.log', lines: ['expected 1', 'got 2 tok-123'] },
  });
  // The link is the run page under report.url; the failed step's tail rides along, masked.
  assert.equal(payload.text, 'FAILED: app #7 (abcdef0 fix ***): tests failed with *** https://ci.example.com/slip/runs/app/7.html\nnpm test: last lines of logs/app/7/test-1.log:\n```\nexpected 1\ngot 2 ***\n```');
  assert.equal(payload.url, 'https://ci.example.com/slip/runs/app/7.html');
  assert.deepEqual(payload.failedStep, { name: 'npm test', error: 'exited with code 1', log: 'logs/app/7/test-1.log', tail: ['expected 1', 'got 2 ***'] });
  assert.ok(!JSON.stringify(payload).includes('tok-123'));
  // No tail for other events.
  assert.equal(buildPayload('deployed', { ...payloadRun(), status: 'deployed' }, { secrets: [] }).failedStep, undefined);
});

test('log lines: journald priority prefixes, level filter, masked secrets, one prefix per line', () => {
  let out = '';
  const log = createLogger({ level: 'info', journald: true, write: (t) => (out += t) });
  log.setSecrets(['hunter2']);
  log.error('a\nb hunter2');
  log.debug('hidden');
  log.notice('n');
  assert.equal(out, '<3>a\n<3>b ***\n<5>n\n');
  let tty = '';
  createLogger({ level: 'debug', journald: false, write: (t) => (tty += t) }).warn('w');
  assert.equal(tty, 'warn: w\n');
});

test('poll backoff doubles from 15 s up to 15 min', () => {
  assert.deepEqual([1, 2, 3, 7, 20].map(backoffMs), [15_000, 30_000, 60_000, 900_000, 900_000]);
});

test('scripts/slipway.service passes systemd-analyze verify', async (t) => {
  if (!existsSync('/usr/bin/systemd-analyze')) {
    if (!process.env.CI) return t.skip('systemd-analyze is not installed (Debian: apt-get install systemd); CI installs it');
    await run('apt-get', ['install', '-y', '-qq', 'systemd'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const dir = await mkdtemp(join(tmpdir(), 'slipway-unit-'));
  try {
    // verify checks that ExecStart's program exists: point it at this machine's node.
    const unit = (await readFile(join(root, 'scripts/slipway.service'), 'utf8')).replace('/usr/bin/node ', `${process.execPath} `);
    for (const key of ['User=slipway', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/slipway', 'NoNewPrivileges=yes', 'Restart=on-failure', 'KillMode=mixed', 'TimeoutStopSec=60s', 'ExecReload=/bin/kill -HUP $MAINPID']) {
      assert.ok(unit.includes(key), key);
    }
    await writeFile(join(dir, 'slipway.service'), unit);
    const r = await run('systemd-analyze', ['verify', join(dir, 'slipway.service')]).catch((e: { stderr?: string }) => ({ stderr: `FAILED ${e.stderr}` }));
    assert.doesNotMatch(r.stderr, /FAILED|slipway\.service:/, r.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('scripts/install.sh --dry-run says what it would do and changes nothing', async () => {
  const { stdout } = await run('sh', [join(root, 'scripts/install.sh'), '--dry-run', '--prefix', '/nonexistent/slipway-dry']);
  assert.match(stdout, /useradd --system .*slipway|user slipway exists/);
  assert.match(stdout, /would run: install -m 0644 .*slipway\.service \/etc\/systemd\/system\/slipway\.service|unit .* is current/);
  assert.ok(!existsSync('/nonexistent/slipway-dry'));
  const bad = await run('sh', [join(root, 'scripts/install.sh'), '--bogus']).catch((e: { code: number }) => e);
  assert.equal((bad as { code: number }).code, 2);
});

function payloadRun(): RunRecord {
  return {
    version: 1, pipeline: 'app', number: 8, status: 'failed', branch: 'main', trigger: 'poll', createdAt: '', stages: [],
    commit: { id: 'abcdef0123456789', message: 'm', author: { name: 'A', email: 'a@x' }, time: '' },
  };
}
