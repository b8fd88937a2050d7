// `slipway stats` on a hand-made state folder: the same numbers as the DORA table tests, as text
// and as --json, and the same numbers in the report's status.json and pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statsCommand } from '../../src/commands/stats.ts';
import { reportCommand } from '../../src/commands/report.ts';
import { writeRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';
import type { Output } from '../../src/wiring/output.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';

const H = 3_600_000;
const D = 24 * H;

function deployRun(n: number, now: number, endAgo: number, status: 'passed' | 'failed', leadMs: number): RunRecord {
  const at = (ms: number) => new Date(now - ms).toISOString();
  return {
    version: 1, pipeline: 'app', number: n, status: status === 'passed' ? 'deployed' : 'failed', branch: 'main', trigger: 'poll',
    createdAt: at(endAgo + 60_000), startedAt: at(endAgo + 60_000), finishedAt: at(endAgo),
    commit: { id: `${n}`.padStart(40, 'a'), message: 'm', author: { name: 'a', email: 'a@x' }, time: at(endAgo + leadMs) },
    stages: [
      { name: 'test', kind: 'test', status: 'passed', steps: [], startedAt: at(endAgo + 60_000), finishedAt: at(endAgo + 30_000) },
      { name: 'deploy:production', kind: 'deploy', environment: 'production', status, steps: [], startedAt: at(endAgo + 30_000), finishedAt: at(endAgo) },
    ],
  };
}

test('slipway stats: DORA numbers per environment as text and --json; status.json and the pages carry them', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-stats-'));
  try {
    const configDir = join(work, 'config');
    await writeConfigFolder(configDir, {
      'slipway.yaml': 'stateDir: ../state\n',
      'hosts.yaml': 'web1: { address: 127.0.0.1, user: deploy }\n',
      'pipelines/app.yaml': 'repo: http://127.0.0.1:9/app.git\ntest: ["true"]\ndeploy: { path: /srv/app }\nenvironments: [{ name: production, hosts: [web1] }]\n',
    });
    const now = new Date();
    const stateDir = join(work, 'state');
    await writeRun(stateDir, deployRun(1, now.getTime(), 3 * D, 'passed', 4 * H));
    await writeRun(stateDir, deployRun(2, now.getTime(), 2 * D, 'failed', H));
    await writeRun(stateDir, deployRun(3, now.getTime(), 2 * D - 2 * H, 'passed', 2 * H));
    let out = '';
    const output: Output = { out: (l) => (out += `${l}\n`), err: (l) => (out += `${l}\n`), status: (w) => w };
    assert.equal(await statsCommand(configDir, { names: [], json: false, now }, output), 0);
    assert.equal(out.split('\n')[2], '     7 days: 2 deploys (0.29/day) · lead time 3 h 0 min · change failures 33% (1/3) · time to restore 2 h 0 min');
    out = '';
    assert.equal(await statsCommand(configDir, { names: ['app'], json: true, now }, output), 0);
    const json = JSON.parse(out) as { pipelines: Array<{ name: string; environments: Record<string, { windows: Array<Record<string, unknown>> }> }> };
    assert.deepEqual(json.pipelines[0]!.environments.production!.windows[0], {
      days: 7, deploys: 2, deploysPerDay: 0.29, attempts: 3, failures: 1, changeFailureRate: 0.333, leadTimeMs: 3 * H, timeToRestoreMs: 2 * H, restores: 1,
    });
    await reportCommand(configDir, { out: () => undefined, err: () => undefined, status: (w) => w });
    const status = JSON.parse(await readFile(join(stateDir, 'www', 'status.json'), 'utf8')) as { pipelines: Array<{ dora: Record<string, { windows: Array<{ deploys: number }> }> }> };
    assert.equal(status.pipelines[0]!.dora.production!.windows[1]!.deploys, 2);
    const page = await readFile(join(stateDir, 'www', 'pipelines', 'app', 'index.html'), 'utf8');
    assert.match(page, /<h2>Delivery \(DORA\)<\/h2>/);
    assert.match(page, /<svg class="chart"[^>]*aria-label="production: 2 deploys in 30 days"/);
    const index = await readFile(join(stateDir, 'www', 'index.html'), 'utf8');
    assert.match(index, /<td data-label="Deploys">2 <span class="muted">\(0\.07\/day\)<\/span><\/td><td data-label="Lead time">3 h 0 min<\/td><td data-label="Change failures">33% <span class="muted">1\/3<\/span><\/td><td data-label="Time to restore">2 h 0 min<\/td>/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
