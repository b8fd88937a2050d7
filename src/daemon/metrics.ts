// What `GET /metrics` tells Prometheus about the daemon: runs by pipeline and outcome, run and
// stage durations, deploys and rollbacks, the queue, how long ago each pipeline's last good poll
// was, and the webhook answers. Counters count since the daemon started (Prometheus' rate() and
// increase() expect exactly that); nothing here reads the state folder at scrape time.

import type { RunRecord } from '../state/types.ts';
import { Family, Histogram } from './prom-text.ts';

const DURATION_BOUNDS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

function seconds(start: string | undefined, end: string | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

export class DaemonMetrics {
  private readonly runs = new Family('slipway_runs_total', 'Runs that ended, by pipeline and status.', 'counter');
  private readonly runDuration = new Histogram('slipway_run_duration_seconds', 'Duration of ended runs, from start to end.', DURATION_BOUNDS);
  private readonly stageDuration = new Histogram('slipway_stage_duration_seconds', 'Duration of ended stages (test, deploy:ENV, rollback:ENV).', DURATION_BOUNDS);
  private readonly deploys = new Family('slipway_deploys_total', 'Deploy stages that ended, by pipeline, environment and result (passed or failed).', 'counter');
  private readonly rollbacks = new Family('slipway_rollbacks_total', 'Rollbacks by pipeline and environment: automatic (a failed deploy) or manual (slipway rollback).', 'counter');
  private readonly polls = new Family('slipway_polls_total', 'Polls of the git remote, by pipeline and result (ok or failed).', 'counter');
  private readonly pollAge = new Family('slipway_last_successful_poll_age_seconds', 'Seconds since the last poll of the pipeline that succeeded.', 'gauge');
  private readonly queue = new Family('slipway_queue_length', 'Runs and approvals waiting in the queue for their pipeline to be free.', 'gauge');
  private readonly active = new Family('slipway_runs_active', 'Runs executing now.', 'gauge');
  private readonly hooks = new Family('slipway_webhooks_total', 'Webhook calls by answer: accepted (202), unauthorized (401), unknown_pipeline (404), too_large (413), other.', 'counter');
  private readonly up = new Family('slipway_start_time_seconds', 'When this daemon started (Unix time).', 'gauge');
  private readonly lastPoll = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {
    this.up.set({}, Math.round(now() / 1000));
  }

  observeRun(run: RunRecord): void {
    this.runs.inc({ pipeline: run.pipeline, status: run.status });
    const took = seconds(run.startedAt, run.finishedAt);
    if (took !== undefined) this.runDuration.observe({ pipeline: run.pipeline }, took);
    for (const stage of run.stages) {
      const s = seconds(stage.startedAt, stage.finishedAt);
      if (s !== undefined) this.stageDuration.observe({ pipeline: run.pipeline, stage: stage.name }, s);
      if (stage.kind !== 'deploy' || stage.environment === undefined) continue;
      const labels = { pipeline: run.pipeline, environment: stage.environment };
      if (stage.name.startsWith('rollback:')) {
        if (stage.status === 'passed') this.rollbacks.inc({ ...labels, kind: 'manual' });
      } else if (stage.status === 'passed' || stage.status === 'failed' || stage.status === 'rolled-back') {
        this.deploys.inc({ ...labels, result: stage.status === 'passed' ? 'passed' : 'failed' });
        if (stage.status === 'rolled-back' || (stage.hosts ?? []).some((h) => h.status === 'rolled-back')) this.rollbacks.inc({ ...labels, kind: 'automatic' });
      }
    }
  }

  polled(pipeline: string, ok: boolean): void {
    this.polls.inc({ pipeline, result: ok ? 'ok' : 'failed' });
    if (ok) this.lastPoll.set(pipeline, this.now());
  }

  webhookAnswered(status: number): void {
    const verdict = { 202: 'accepted', 401: 'unauthorized', 404: 'unknown_pipeline', 413: 'too_large' }[status] ?? 'other';
    this.hooks.inc({ verdict });
  }

  /** The exposition text; queue figures are read at scrape time. */
  render(live: { queued: number; active: number; pipelines: string[] }): string {
    this.queue.set({}, live.queued);
    this.active.set({}, live.active);
    this.pollAge.clear();
    for (const p of live.pipelines) {
      const at = this.lastPoll.get(p);
      if (at !== undefined) this.pollAge.set({ pipeline: p }, Math.round((this.now() - at) / 100) / 10);
    }
    const out: string[] = [];
    for (const f of [this.runs, this.runDuration, this.stageDuration, this.deploys, this.rollbacks, this.polls, this.pollAge, this.queue, this.active, this.hooks, this.up]) f.write(out);
    return `${out.join('\n')}\n`;
  }
}
