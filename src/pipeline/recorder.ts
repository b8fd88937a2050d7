import type { FailureCause, RunRecord, StageRecord, StepRecord } from '../state/types.ts';
import { errorMessage } from './failure.ts';
import { writeRun } from '../state/store.ts';
import { maskSecrets } from '../exec/mask.ts';
import type { ReportChange } from '../report/index.ts';

/**
 * Holds one run in memory and writes it the moment it changes (Laminar's habit): a crash at any
 * point leaves the last state on disk, whole. `onChange` re-renders the report.
 */
export class RunRecorder {
  constructor(
    readonly stateDir: string,
    readonly run: RunRecord,
    private readonly opts: { secrets: readonly string[]; now: () => Date; onChange: (changed: ReportChange) => Promise<void> },
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

  /**
   * Writes the run as it is now. Saves that come while a write is under way (ten hosts' steps
   * starting at once) share the one write after it, which holds all their changes: a step costs
   * its state writes once, not once per host (issue 13). Each caller's promise settles after a
   * write that began after its call.
   */
  save(): Promise<void> {
    if (!this.writing) {
      const w = this.writeNow();
      // Settles either way (the caller of this write gets its error); then the next may start.
      const settled: Promise<void> = w.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        if (this.writing === settled) this.writing = undefined;
      });
      this.writing = settled;
      return w;
    }
    this.queued ??= this.writing.then(() => {
      this.queued = undefined;
      return this.save();
    });
    return this.queued;
  }

  private async writeNow(): Promise<void> {
    try {
      await writeRun(this.stateDir, this.run);
      this.saveError = undefined;
    } catch (e) {
      this.saveError = errorMessage(e);
      this.saveFailed = true;
      throw e;
    }
    // Not awaited: a deploy must not wait for the report at every step (ten hosts in parallel
    // queued behind ~100 ms renders). Renders fold into one another, never reject, and the
    // runtime awaits a last one before it exits.
    void this.opts.onChange({ pipeline: this.run.pipeline, run: this.run.number });
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
