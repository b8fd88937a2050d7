// The /metrics text on its own: what a run adds, label escaping, and Debian's promtool (the real
// validator) accepting it. The daemon serving it and a real Prometheus scraping it: test/e2e/live.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonMetrics } from '../../src/daemon/metrics.ts';
import { escapeLabel } from '../../src/daemon/prom-text.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { prometheusMissing, promtoolCheck } from '../helpers/prometheus.ts';

const run: RunRecord = {
  version: 1, pipeline: 'app', number: 3, status: 'failed', branch: 'main', trigger: 'poll',
  createdAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:30.000Z',
  commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'a', email: 'a@x' }, time: '2026-01-01T00:00:00.000Z' },
  stages: [
    { name: 'test', kind: 'test', status: 'passed', steps: [], startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:20.000Z' },
    { name: 'deploy:prod "eu"', kind: 'deploy', environment: 'prod "eu"\nwest', status: 'failed', steps: [], startedAt: '2026-01-01T00:00:20.000Z', finishedAt: '2026-01-01T00:01:30.000Z',
      hosts: [{ host: 'web1', status: 'rolled-back' }] },
  ],
};

test('a run, a poll and a webhook as Prometheus text; promtool accepts it', { skip: prometheusMissing() }, async () => {
  let now = 1_000_000;
  const m = new DaemonMetrics(() => now);
  m.observeRun(run);
  m.polled('app', true);
  m.polled('app', false);
  m.webhookAnswered(202);
  m.webhookAnswered(401);
  now += 12_300;
  const text = m.render({ queued: 2, active: 1, pipelines: ['app', 'never-polled'] });
  for (const line of [
    'slipway_runs_total{pipeline="app",status="failed"} 1',
    'slipway_run_duration_seconds_bucket{le="60",pipeline="app"} 0',
    'slipway_run_duration_seconds_bucket{le="120",pipeline="app"} 1',
    'slipway_run_duration_seconds_sum{pipeline="app"} 90',
    'slipway_stage_duration_seconds_count{pipeline="app",stage="test"} 1',
    'slipway_deploys_total{environment="prod \\"eu\\"\\nwest",pipeline="app",result="failed"} 1',
    'slipway_rollbacks_total{environment="prod \\"eu\\"\\nwest",kind="automatic",pipeline="app"} 1',
    'slipway_polls_total{pipeline="app",result="failed"} 1',
    'slipway_last_successful_poll_age_seconds{pipeline="app"} 12.3',
    'slipway_queue_length 2',
    'slipway_runs_active 1',
    'slipway_webhooks_total{verdict="accepted"} 1',
    'slipway_webhooks_total{verdict="unauthorized"} 1',
  ]) assert.ok(text.split('\n').includes(line), `${line}\nin:\n${text}`);
  assert.doesNotMatch(text, /never-polled/);
  const check = await promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});
