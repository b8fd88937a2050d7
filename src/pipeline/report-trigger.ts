import type { Config } from '../config/types.ts';
import type { ReportChange } from '../report/index.ts';

/**
 * Re-renders the report after a change of state (updateReport folds bursts into one render).
 * The report is a view: failing to render it must not fail a deploy, so the error is handed
 * to `onError` and the next change of state tries again. The report code loads on the first
 * render: a daemon's run process hands its renders to the daemon and never needs it.
 */
export function createReportTrigger(config: Config, opts: { onError?: (e: unknown) => void } = {}): (changed?: ReportChange) => Promise<void> {
  // The hint lets the report rewrite only the pages that depend on that pipeline and run.
  return (changed) =>
    import('../report/index.ts')
      .then(({ reportConfigOf, updateReport }) => updateReport(config.settings.stateDir, reportConfigOf(config), changed ? { changed } : {}))
      .then(
        () => undefined,
        (e: unknown) => opts.onError?.(e),
      );
}
