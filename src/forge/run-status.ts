// The run's side of commit statuses: which status a moment of the run means, and where it links.
// Never awaited by the run: StatusPoster.post returns at once.
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import type { RunContext } from '../pipeline/context.ts';
import { runPageLocation } from '../report/links.ts';
import type { StatusState } from './status-request.ts';

/** The status's one line; a failed deploy says what became of the hosts, from the stage's outcomes. */
export function statusDescription(run: RunRecord, state: StatusState, env?: string): string {
  if (env === undefined) return state === 'pending' ? 'slipway is testing this commit' : state === 'success' ? 'tests passed' : 'tests failed';
  if (state === 'pending') return `slipway is deploying to ${env}`;
  if (state === 'success') return `deployed to ${env}`;
  const hosts = run.stages.find((s) => s.kind === 'deploy' && s.environment === env)?.hosts ?? [];
  const failedBack = hosts.filter((h) => h.status === 'failed' && h.error?.startsWith('rollback failed'));
  // Honest about the hosts: "rolled back" only when a host really switched and went back.
  if (failedBack.length) return `deploy to ${env} failed; rollback failed on ${failedBack.map((h) => h.host).join(', ')}`;
  if (hosts.some((h) => h.status === 'rolled-back')) return `deploy to ${env} failed and was rolled back`;
  return `deploy to ${env} failed; no host was changed`;
}

/** `env` undefined: the test status (slipway/test); else slipway/deploy/ENV. */
export function postRunStatus(ctx: RunContext, pipeline: PipelineConfig, run: RunRecord, state: StatusState, env?: string): void {
  const target = pipeline.status;
  if (!target || !ctx.statuses) return;
  const base = ctx.config.settings.report.url;
  // The same link every other message sends (report/links.ts).
  const targetUrl = base === undefined ? undefined : runPageLocation(ctx.config.settings, run.pipeline, run.number);
  ctx.statuses.post({
    target,
    pipeline: run.pipeline,
    run: run.number,
    sha: run.commit.id,
    status: {
      context: env === undefined ? 'slipway/test' : `slipway/deploy/${env}`,
      state,
      description: statusDescription(run, state, env),
      ...(targetUrl !== undefined ? { targetUrl } : {}),
    },
  });
}
