import type { Config } from '../config/types.ts';
import type { ReportChange } from '../report/index.ts';
import type { ReportHow } from './context.ts';

/**
 * After a render, a run's change (`soon`) waits this long before the next one starts,
 * or 3× as long as the last render took when that is longer (at most MAX_SOON_GAP_MS), so such
 * renders take at most about a quarter of the time. Renders ran back to back during a fleet
 * deploy, each reading every step log of the changed runs, and took the CPU the deploy needed
 * (issue 13). Everything else (a new run, recovery, the last render before a process exits)
 * renders at once and takes the waiting changes along.
 */
export const SOON_RENDER_GAP_MS = 1500;
const MAX_SOON_GAP_MS = 10_000;

/**
 * Re-renders the report after a change of state (updateReport folds bursts into one render).
 * The report is a view: failing to render it must not fail a deploy, so the error is handed
 * to `onError` and the next change of state tries again. The report code loads on the first
 * render: a daemon's run process hands its renders to the daemon and never needs it.
 */
export function createReportTrigger(config: Config, opts: { onError?: (e: unknown) => void; gapMs?: number } = {}): (changed?: ReportChange, how?: ReportHow) => Promise<void> {
  const minGapMs = opts.gapMs ?? SOON_RENDER_GAP_MS;
  let gapMs = minGapMs;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let rendering = 0;
  // The hint lets the report rewrite only the pages that depend on that pipeline and run.
  const render = (changed?: ReportChange): Promise<void> => {
    rendering++;
    const started = Date.now();
    return import('../report/index.ts')
      .then(({ reportConfigOf, updateReport }) => updateReport(config.settings.stateDir, reportConfigOf(config), changed ? { changed } : {}))
      .then(
        () => undefined,
        (e: unknown) => opts.onError?.(e),
      )
      .finally(() => {
        rendering--;
        lastEnd = Date.now();
        gapMs = Math.max(minGapMs, Math.min(MAX_SOON_GAP_MS, 3 * (lastEnd - started)));
      });
  };
  // Soon renders that wait share one timer. When it fires, or when a render that cannot wait is
  // asked for first, each calls updateReport, which folds them (and any render still running)
  // into one follow-up holding all their changes.
  let waiting: { timer: NodeJS.Timeout; calls: Array<{ changed: ReportChange | undefined; done: (p: Promise<void>) => void }> } | undefined;
  const flush = (): void => {
    if (!waiting) return;
    const { timer, calls } = waiting;
    clearTimeout(timer);
    waiting = undefined;
    for (const c of calls) c.done(render(c.changed));
  };
  const arm = (): void => {
    // A process about to exit asks for its last render (runtime close), which flushes these.
    waiting!.timer = setTimeout(fire, Math.max(20, lastEnd + gapMs - Date.now()));
  };
  const fire = (): void => {
    // Still rendering: wait for its end and then the gap.
    if (rendering > 0 || Date.now() < lastEnd + gapMs) arm();
    else flush();
  };
  const later = (changed: ReportChange | undefined): Promise<void> =>
    new Promise<void>((resolve) => {
      const call = { changed, done: (p: Promise<void>): void => void p.then(resolve) };
      if (waiting) {
        waiting.calls.push(call);
        return;
      }
      waiting = { timer: undefined as unknown as NodeJS.Timeout, calls: [call] };
      arm();
    });
  return (changed, how) => {
    if (how?.soon && (rendering > 0 || Date.now() < lastEnd + gapMs)) return later(changed);
    flush();
    return render(changed);
  };
}
