import type { FailureCause, RunRecord, StageRecord, StepRecord } from '../state/types.ts';
import { errorMessage } from './failure.ts';
import { writeRun } from '../state/store.ts';
import { maskSecrets } from '../exec/mask.ts';
import type { ReportChange } from '../report/index.ts';
import type { ReportHow } from './context.ts';

/** Steps' starts and ends are written at most once per this window per run (saveSoon). */
export const STEP_SAVE_WINDOW_MS = 250;

/**
 * Holds one run in memory and writes it the moment it changes (Laminar's habit): a crash at any
 * point leaves the last state on disk, whole. `onChange` re-renders the report.
 */
export class RunRecorder {
  constructor(
    readonly stateDir: string,
    readonly run: RunRecord,
    private readonly opts: { secrets: readonly string[]; now: () => Date; onChange: (changed: ReportChange, how?: ReportHow) => Promise<void> },
  ) {}

  now(): string {
    return this.opts.now().toISOString();
  }

  mask(text: string): string {
    return maskSecrets(text, this.opts.secrets);
  }

  /** The cause of the run's first failed step. */
  firstFailure?: FailureCause;
  /** Why the last write of the run failed (cleared by a write that works). */
  saveError?: string;
  /** A write failed at some point of this run: what is on disk may lag behind. */
  saveFailed = false;

  noteFailure(cause: FailureCause): void {
    this.firstFailure ??= cause;
  }

  private writing?: Promise<void>;
  private queued?: Promise<void>;
  /** The write queued behind `writing` must be durable (a caller of save() waits for it). */
  private queuedDurable = false;
  /** A saveSoon waiting for its window: the timer and its callers' promise. */
  private soon?: { timer: NodeJS.Timeout; promise: Promise<void>; settle: (p: Promise<void>) => void };
  /** When the last write began (Date.now()), for saveSoon's window. */
  private lastWriteAt = Number.NEGATIVE_INFINITY;

  /**
   * Writes the run as it is now, durably (fsync of the file and of its folder): stage boundaries,
   * the run's end, anything a caller must know is on disk. Saves that come while a write is under
   * way (ten hosts' steps starting at once) share the one write after it, which holds all their
   * changes. Each caller's promise settles after a write that began after its call.
   */
  save(): Promise<void> {
    return this.write(true);
  }

  /**
   * A step's start or end: written at most once per STEP_SAVE_WINDOW_MS, the first at once, later
   * ones folded into one write at the window's end (100 hosts × 5 steps each rewrote a growing run
   * file ~1,000 times: issue 13). The write is atomic (temp file, fsync, rename) but does not sync
   * the folder, so a power loss may bring back the last durable write; a kill -9 loses at most
   * the progress of the last window, never a stage's end or the run's result (those use save()).
   */
  saveSoon(): Promise<void> {
    if (this.soon) return this.soon.promise;
    const wait = this.lastWriteAt + STEP_SAVE_WINDOW_MS - Date.now();
    if (wait <= 0) return this.write(false);
    let settle!: (p: Promise<void>) => void;
    const promise = new Promise<void>((resolve, reject) => {
      settle = (p) => void p.then(resolve, reject);
    });
    // Every run ends with a save(), which takes this one's place: the timer never delays an exit.
    const timer = setTimeout(() => {
      this.soon = undefined;
      settle(this.write(false));
    }, wait);
    this.soon = { timer, promise, settle };
    return promise;
  }

  private write(durable: boolean): Promise<void> {
    // A waiting saveSoon is covered by this write: it settles with it instead of writing again.
    const soon = this.soon;
    if (soon) {
      clearTimeout(soon.timer);
      this.soon = undefined;
    }
    let result: Promise<void>;
    if (!this.writing) {
      const w = this.writeNow(durable);
      // Settles either way (the caller of this write gets its error); then the next may start.
      const settled: Promise<void> = w.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        if (this.writing === settled) this.writing = undefined;
      });
      this.writing = settled;
      result = w;
    } else {
      this.queuedDurable ||= durable;
      this.queued ??= this.writing.then(() => {
        const d = this.queuedDurable;
        this.queued = undefined;
        this.queuedDurable = false;
        return this.write(d);
      });
      result = this.queued;
    }
    soon?.settle(result);
    return result;
  }

  private async writeNow(durable: boolean): Promise<void> {
    this.lastWriteAt = Date.now();
    try {
      await writeRun(this.stateDir, this.run, { durable });
      this.saveError = undefined;
    } catch (e) {
      this.saveError = errorMessage(e);
      this.saveFailed = true;
      throw e;
    }
    // Not awaited: a deploy must not wait for the report at every step (ten hosts in parallel
    // queued behind ~100 ms renders). Renders fold into one another, never reject, and the
    // runtime awaits a last one before it exits (which takes every waiting change along). A
    // run's writes ask for a render "soon": the trigger spaces those out, so renders do not take
    // the CPU the deploy needs (ten runs ending one after another cost ten renders).
    void this.opts.onChange({ pipeline: this.run.pipeline, run: this.run.number }, { soon: true });
  }

  /**
   * The run's last write failed (a full disk): keep trying in the background until it lands, so
   * once space is back the run on disk ends as it really did, without a restart.
   */
  persistLater(everyMs = 2000): void {
    const timer = setInterval(() => {
      writeRun(this.stateDir, this.run).then(
        () => {
          clearInterval(timer);
          this.saveError = undefined;
          void this.opts.onChange({ pipeline: this.run.pipeline, run: this.run.number });
        },
        () => undefined,
      );
    }, everyMs);
    timer.unref();
  }

  stage(name: string): StageRecord | undefined {
    return this.run.stages.find((s) => s.name === name);
  }

  addStage(stage: StageRecord): StageRecord {
    const existing = this.stage(stage.name);
    if (existing) return existing;
    this.run.stages.push(stage);
    return stage;
  }

  addStep(stage: StageRecord, step: Omit<StepRecord, 'status'>): StepRecord {
    // A step id is also its log file name; retries of a stage (approve after waiting) reuse it.
    let id = step.id;
    for (let n = 2; this.run.stages.some((s) => s.steps.some((x) => x.id === id)); n++) id = `${step.id}-${n}`;
    const record: StepRecord = { ...step, id, status: 'pending' };
    stage.steps.push(record);
    return record;
  }
}
