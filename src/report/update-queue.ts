// The entry point the pipeline and `slipway report` call. Updates of one state folder never
// overlap: calls that arrive while one is running fold into a single follow-up, which merges what
// they said changed (any call without `changed` makes it scan everything; any `full` makes it
// full). A burst of step changes therefore costs two updates, not one per change.

import type { ReportConfig } from './types.ts';
import { fullRewrite, incrementalRewrite, type ReportChange, type UpdateReportOptions, type UpdateResult } from './update.ts';

interface Pending {
  config: ReportConfig;
  opts: UpdateReportOptions;
  /** undefined: scan every pipeline. */
  changed: ReportChange[] | undefined;
  full: boolean;
  promise: Promise<UpdateResult>;
}

interface Slot {
  running?: Promise<unknown>;
  queued?: Pending;
}

const slots = new Map<string, Slot>();

function changesOf(opts: UpdateReportOptions): ReportChange[] | undefined {
  return opts.changed === undefined ? undefined : Array.isArray(opts.changed) ? [...opts.changed] : [opts.changed];
}

function execute(stateDir: string, p: Pick<Pending, 'config' | 'opts' | 'changed' | 'full'>): Promise<UpdateResult> {
  const opts: UpdateReportOptions = { ...p.opts };
  delete opts.changed;
  if (p.changed !== undefined) opts.changed = p.changed;
  return p.full ? fullRewrite(stateDir, p.config, opts) : incrementalRewrite(stateDir, p.config, opts);
}

/**
 * Brings STATE/www up to date with the state. Incremental unless `full` (or there is no report or
 * cache yet); `changed` narrows what is read to the pipelines (and runs) named.
 */
export function updateReport(stateDir: string, config: ReportConfig, opts: UpdateReportOptions = {}): Promise<UpdateResult> {
  let slot = slots.get(stateDir);
  if (slot === undefined) {
    slot = {};
    slots.set(stateDir, slot);
  }
  const s = slot;
  const changed = changesOf(opts);
  const full = opts.full === true;
  if (s.queued !== undefined) {
    const q = s.queued;
    // The newest caller's config wins (a SIGHUP reload may have changed it).
    q.config = config;
    q.opts = { ...q.opts, ...opts };
    q.changed = q.changed === undefined || changed === undefined ? undefined : [...q.changed, ...changed];
    q.full ||= full;
    return q.promise;
  }
  const settle = (p: Promise<unknown>): void => {
    void p.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      if (s.running === p) s.running = undefined;
      if (s.running === undefined && s.queued === undefined) slots.delete(stateDir);
    });
  };
  if (s.running === undefined) {
    const p = execute(stateDir, { config, opts, changed, full });
    s.running = p;
    settle(p);
    return p;
  }
  const pending: Pending = { config, opts, changed, full, promise: undefined as unknown as Promise<UpdateResult> };
  pending.promise = s.running
    .catch(() => undefined)
    .then(() => {
      s.queued = undefined;
      const p = execute(stateDir, pending);
      s.running = p;
      settle(p);
      return p;
    });
  s.queued = pending;
  return pending.promise;
}
