import type { Config } from '../config/types.ts';
import { reportConfigOf, updateReport, type ReportChange } from '../report/index.ts';

/**
 * Re-renders the report after a change of state (updateReport folds bursts into one render).
 * The report is a view: failing to render it must not fail a deploy, so the error is handed
 * to `onError` and the next change of state tries again.
 */
export function createReportTrigger(config: Config, opts: { onError?: (e: unknown) => void } = {}): (changed?: ReportChange) => Promise<void> {
  const reportConfig = reportConfigOf(config);
  // The hint lets the report rewrite only the pages that depend on that pipeline and run.
  return (changed) =>
    updateReport(config.settings.stateDir, reportConfig, changed ? { changed } : {}).then(
      () => undefined,
      (e: unknown) => opts.onError?.(e),
    );
}
