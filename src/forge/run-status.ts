// The run's side of commit statuses: which status a moment of the run means, and where it links.
// Never awaited by the run: StatusPoster.post returns at once.
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import type { RunContext } from '../pipeline/context.ts';
import { runPageLocation } from '../report/links.ts';
import type { StatusState } from './status-request.ts';

const WORDS: Record<StatusState, (what: string) => string> = {
  pending: (what) => (what === 'test' ? 'slipway is testing this commit' : `slipway is deploying to ${what}`),
  success: (what) => (what === 'test' ? 'tests passed' : `deployed to ${what}`),
  failure: (what) => (what === 'test' ? 'tests failed' : `deploy to ${what} failed and was rolled back`),
};

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
      description: WORDS[state](env ?? 'test'),
      ...(targetUrl !== undefined ? { targetUrl } : {}),
    },
  });
}
