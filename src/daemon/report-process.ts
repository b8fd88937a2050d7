// The daemon's report updates, each in a task process of its own (the report renderers cost the
// daemon ~18 MB of RSS to import and more to run; a fresh process pays that and gives it back).
// Updates never overlap: what is asked while one runs folds into one follow-up that merges the
// changes (any ask without a change means every pipeline), as updateReport does in-process.
import type { ReportChange } from '../report/update.ts';
import type { TaskGeneration, ProcessDeps } from './run-process.ts';
import { runTask } from './run-process.ts';

export interface ReportProcess {
  /** Asks for an update; resolves when one that includes it has ended. */
  update(changed?: ReportChange): Promise<void>;
}

export function createReportProcess(gen: () => TaskGeneration, deps: Omit<ProcessDeps, 'report'>): ReportProcess {
  let running: Promise<void> | undefined;
  let next: { changed: ReportChange[] | undefined; done: Promise<void> } | undefined;
  const start = (changed: ReportChange[] | undefined): Promise<void> => {
    const p = runTask(gen(), { kind: 'report', ...(changed ? { changed } : {}) }, { ...deps, report: () => undefined }).then((outcome) => {
      if (outcome.died) deps.log.warn(`report not written: ${outcome.died.replace("the run's process", 'its process')}`);
    });
    const tracked: Promise<void> = p.finally(() => {
      if (running === tracked) running = undefined;
    });
    running = tracked;
    return p;
  };
  return {
    update(changed) {
      if (!running) return start(changed ? [changed] : undefined);
      if (next) {
        next.changed = next.changed === undefined || changed === undefined ? undefined : [...next.changed, changed];
        return next.done;
      }
      const pending: { changed: ReportChange[] | undefined; done: Promise<void> } = { changed: changed ? [changed] : undefined, done: Promise.resolve() };
      pending.done = running.then(() => {
        next = undefined;
        return start(pending.changed);
      });
      next = pending;
      return pending.done;
    },
  };
}
