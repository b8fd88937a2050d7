// Colours say health: a host rolled back after a failed deploy runs its previous release healthy
// (amber), a chosen rollback is no failure (green), red is for what needs someone now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOutcomeHealth, isChosenRollback } from '../../src/report/health.ts';
import { environmentBadge } from '../../src/report/badges.ts';
import { textFor } from '../../src/report/format.ts';
import type { PipelineModel, RunSummary } from '../../src/report/types.ts';
import type { RenderContext } from '../../src/report/fragments.ts';

test('host outcomes in words and tones', () => {
  const cases: Array<[string, boolean, string, string]> = [
    ['deployed', false, 'healthy', 'ok'],
    ['rolled-back', false, 'rolled back, healthy on its previous release', 'warn'],
    ['rolled-back', true, 'rolled back on request', 'ok'],
    ['failed', false, 'failed', 'bad'],
    ['untouched', false, 'untouched', 'idle'],
  ];
  for (const [status, chosen, word, tone] of cases) assert.deepEqual(hostOutcomeHealth(status, chosen), { word, tone }, `${status} chosen=${chosen}`);
});

function summary(n: number, status: string, opts: { rollback?: boolean } = {}): RunSummary {
  return {
    pipeline: 'app', number: n, status: status === 'deployed' ? 'deployed' : 'failed', commit: `${n}`.repeat(40).slice(0, 40), subject: 's', author: 'a', createdAt: '2026-01-01T00:00:00.000Z',
    deploys: [{ environment: 'staging', host: 'web1', status }],
    ...(opts.rollback ? { dora: [{ environment: 'staging', kind: 'rollback' as const, ok: true, at: '2026-01-01T00:00:00.000Z', run: n, committedAt: '2026-01-01T00:00:00.000Z', trigger: 'rollback' }] } : {}),
  };
}

test('environment badges: green, amber after a rolled-back deploy, green after a chosen rollback, red with nothing running', () => {
  const ctx = { text: textFor([]) } as RenderContext;
  const model = (runs: RunSummary[], deployed: boolean): PipelineModel => ({
    name: 'app', repo: 'r', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }], runs,
    state: { version: 1, pipeline: 'app', nextRunNumber: 9, environments: deployed ? { staging: { commit: 'abcdef0123', release: 'r', deployedAt: '2026-01-01T00:00:00.000Z', run: 1 } } : {} },
  });
  const fill = (svg: string): string | undefined => /<rect x="\d+(?:\.\d+)?" width="\d+(?:\.\d+)?" height="20" fill="(#[0-9a-f]+)"/.exec(svg)?.[1];
  assert.equal(fill(environmentBadge(model([summary(1, 'deployed')], true), 'staging', ctx)), '#4c1');
  const rolled = environmentBadge(model([summary(2, 'rolled-back'), summary(1, 'deployed')], true), 'staging', ctx);
  assert.equal(fill(rolled), '#dfb317');
  assert.match(rolled, /abcdef0, last deploy rolled back/);
  const chosen = summary(3, 'rolled-back', { rollback: true });
  assert.ok(isChosenRollback(chosen, 'staging'));
  assert.equal(fill(environmentBadge(model([chosen, summary(1, 'deployed')], true), 'staging', ctx)), '#4c1');
  assert.equal(fill(environmentBadge(model([summary(1, 'failed')], false), 'staging', ctx)), '#e05d44');
});
