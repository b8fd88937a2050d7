// A pipeline's digest must answer every question the shared files and host pages ask, exactly as
// all its runs do: long histories (so the digest drops most runs) where each answer sits deep in
// the history — a waiting run, a branch's only run, a host's last deploy, DORA events inside the
// 90 days, deploys whose finish times run out of order — rendered from digests and from all runs,
// byte for byte, at the time the digests were made and later.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { digestFits, digestOf, type PipelineDigest } from '../../src/report/digest.ts';
import { contextFor, renderHostFiles, renderSharedFiles } from '../../src/report/render.ts';
import type { PipelineModel, ReportModel, RunSummary } from '../../src/report/types.ts';
import type { HostState, PipelineState, RunStatus } from '../../src/state/types.ts';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const H = 3_600_000;
const RUNS = 300;
const iso = (ms: number): string => new Date(ms).toISOString();

function summary(pipeline: string, n: number, salt: number): RunSummary {
  // 'quiet' deployed nothing in DORA's 90 days and mostly only tests: its newest runs answer alone.
  const quiet = pipeline === 'quiet';
  // A day apart: run 1 is 300 days ago, DORA's 90 days hold the newest 90 or so.
  const created = NOW.getTime() - (RUNS - n + 1 + (quiet ? 200 : 0)) * 24 * H;
  const status: RunStatus = n === 40 + salt ? 'waiting' : (n * 7 + salt) % 11 === 0 ? 'failed' : n % (quiet ? 2 : 5) === 0 ? 'passed' : n % 17 === 0 ? 'cancelled' : 'deployed';
  // Some runs finish long after they start: a host's deploy history is by finish time.
  const finished = created + (n % 37 === 0 ? 30 * 24 * H : H);
  const env = n % 3 === 0 ? 'production' : 'staging';
  const host = n < 60 ? 'old-host' : env === 'production' ? 'web2' : 'web1';
  const s: RunSummary = {
    pipeline, number: n, status, commit: n.toString(16).padStart(40, '0'), branch: n === 25 ? 'feature' : n === 30 ? 'gone' : 'main',
    subject: `change ${n} <b>`, author: 'Ada', createdAt: iso(created), startedAt: iso(created + 1000), deploys: [],
  };
  if (status !== 'waiting') s.finishedAt = iso(finished);
  else s.waitingAt = 'production';
  if (status === 'deployed' || status === 'failed') {
    // web3 (production) was last deployed to by run 12 only.
    const target = n === 12 ? 'web3' : host;
    // web2's newest 50 entries are untouched (a batch that never reached it): its last deploy is older.
    const untouched = target === 'web2' && n >= 150;
    s.deploys.push({ environment: env, host: target, status: untouched ? 'untouched' : status === 'deployed' ? 'deployed' : n % 2 === 0 ? 'rolled-back' : 'failed', release: `r${n}` });
    s.dora = [{ environment: env, kind: n % 23 === 0 ? 'rollback' : 'deploy', ok: status === 'deployed', at: iso(finished), run: n, committedAt: iso(created - H), trigger: n % 23 === 0 ? 'rollback' : 'poll' }];
  }
  if (status === 'failed') s.error = `step failed in ${n}`;
  return s;
}

const state = (name: string): PipelineState => ({ version: 1, pipeline: name, nextRunNumber: RUNS + 1, environments: { staging: { commit: 'a'.repeat(40), release: 'r1', deployedAt: iso(NOW.getTime() - H), run: RUNS } }, branches: { feature: 'b'.repeat(40) } });

const pipelines: PipelineModel[] = ['app', 'api', 'quiet'].map((name, salt) => ({
  name, repo: `https://git.example.com/acme/${name}.git`, branch: 'main',
  environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }, { name: 'production', hosts: ['web2', 'web3'], approval: 'manual', path: '/srv/x' }],
  state: state(name),
  runs: Array.from({ length: RUNS }, (_, i) => summary(name, RUNS - i, salt)),
}));
const current = { current: { release: 'r1', commit: 'a'.repeat(40), deployedAt: iso(NOW.getTime() - H), run: 3 }, releases: ['r1'] };
// old-host is in no environment any more; its state file keeps its page (and its deploy history).
const hosts: HostState[] = [{ version: 1, host: 'web1', pipelines: { app: current } }, { version: 1, host: 'old-host', pipelines: { app: current, api: current, quiet: current } }];

function render(ps: PipelineModel[], now: Date): Map<string, string> {
  const model: ReportModel = { title: 'ACME', generatedAt: now, secrets: [], hosts, pipelines: ps };
  const ctx = contextFor(model);
  return new Map([...renderSharedFiles(model, ctx), ...renderHostFiles(model, ctx)]);
}

const fromDigest = (p: PipelineModel, d: PipelineDigest): PipelineModel => ({ ...p, state: d.state, runs: d.runs, digest: { count: d.count, numbers: d.numbers } });

it('the dashboard, feed, status.json and host pages from digests are byte for byte those from all runs', () => {
  const digests = pipelines.map((p) => digestOf(p, p.state, p.runs, NOW));
  for (const d of digests) assert.ok(d.runs.length < RUNS / 2, `a digest keeps few runs (${d.runs.length} of ${RUNS})`);
  for (const later of [NOW, new Date(NOW.getTime() + 3 * H), new Date(NOW.getTime() + 20 * 24 * H)]) {
    const full = render(pipelines, later);
    const digested = render(pipelines.map((p, i) => fromDigest(p, digests[i]!)), later);
    assert.deepEqual([...digested.keys()].sort(), [...full.keys()].sort());
    for (const [k, v] of full) assert.equal(digested.get(k), v, `${k} at ${later.toISOString()}`);
  }
});

it('a digest fits a render at the time it was made or later, not before', () => {
  const d = digestOf(pipelines[0]!, pipelines[0]!.state, pipelines[0]!.runs, NOW);
  assert.equal(digestFits(d, NOW), true);
  assert.equal(digestFits(d, new Date(NOW.getTime() + 1)), true);
  assert.equal(digestFits(d, new Date(NOW.getTime() - 1)), false);
  assert.equal(digestFits({ ...d, madeAt: 'not a time' }, NOW), false);
});
