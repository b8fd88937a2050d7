import type { Config } from '../config/types.ts';
import { reportConfigOf, updateReport } from '../report/index.ts';

/**
 * Re-renders the report after a change of state (updateReport folds bursts into one render).
 * The report is a view: failing to render it must not fail a deploy, so the error is handed
 * to `onError` and the next change of state tries again.
 */
export function createReportTrigger(config: Config, opts: { onError?: (e: unknown) => void } = {}): () => Promise<void> {
  const reportConfig = reportConfigOf(config);
  return () => updateReport(config.settings.stateDir, reportConfig).catch((e: unknown) => opts.onError?.(e));
}
