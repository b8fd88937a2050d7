// A command that finds `slipway run` holding the state folder hands its request over (STATE/inbox/)
// instead of failing on the lock, then prints the daemon's progress and result as if it ran here,
// and ends with the exit code of the outcome. In an incident an operator can `rollback` without
// stopping the service first.
import type { RunRecord } from '../state/types.ts';
import { readLockHolder } from '../state/lock.ts';
import { readInboxAnswer, removeInboxAnswer, writeInboxRequest, type InboxRequest } from '../state/inbox.ts';
import { readRun } from '../state/store.ts';
import type { Output } from '../wiring/output.ts';

/** How long the daemon gets to take a request (it looks every 250 ms) before the command gives up waiting. */
const TAKE_MS = 15_000;
const POLL_MS = 150;

export interface HandOver {
  /** The words of the request in messages: "trigger", "deploy to production". */
  what: string;
  /** Exit code of a finished run: `deploy` wants `deployed`, others anything but failed. */
  exitCode(run: RunRecord): number;
  /** Only hand over, do not wait for the outcome (old behaviour of trigger, for scripts). */
  detach?: boolean;
}

/** undefined when no daemon runs (the caller runs the request itself). */
export async function handOver(stateDir: string, request: Omit<InboxRequest, 'version' | 'createdAt' | 'id'>, output: Output, how: HandOver): Promise<number | undefined> {
  const holder = await readLockHolder(stateDir);
  if (!holder || holder.command !== 'run') return undefined;
  const { id } = await writeInboxRequest(stateDir, request);
  const label = request.pipeline ? `${request.pipeline}: ` : '';
  output.out(`${label}${how.what} handed to the running daemon (pid ${holder.pid})`);
  if (how.detach) return 0;
  const daemonAlive = async (): Promise<boolean> => (await readLockHolder(stateDir))?.pid === holder.pid;
  const takenBy = Date.now() + TAKE_MS;
  let follow: RunFollower | undefined;
  try {
    for (;;) {
      const answer = await readInboxAnswer(stateDir, id);
      if (!answer && Date.now() > takenBy) {
        output.err(`slipway: the daemon (pid ${holder.pid}) has not taken the request within ${TAKE_MS / 1000} s; it stays in the inbox until it does or it expires`);
        return 1;
      }
      if (answer?.state === 'refused') {
        output.err(`slipway: ${answer.message ?? 'refused by the daemon'}`);
        return answer.exitCode ?? 1;
      }
      if (answer?.run !== undefined && answer.pipeline && !follow) follow = new RunFollower(stateDir, answer.pipeline, answer.run, output);
      await follow?.poll();
      if (answer?.state === 'done') {
        if (answer.run === undefined || !answer.pipeline) {
          if (answer.message) output.out(answer.message);
          return answer.exitCode ?? 0;
        }
        const run = await readRun(stateDir, answer.pipeline, answer.run);
        await follow?.poll();
        output.out(`${run.pipeline} #${run.number}: ${output.status(run.status)}${run.error ? ` (${run.error})` : ''}`);
        return how.exitCode(run);
      }
      if (!(await daemonAlive())) {
        output.err(`slipway: the daemon (pid ${holder.pid}) stopped before the request was done; its next start recovers it`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await removeInboxAnswer(stateDir, id);
  }
}

/** Prints a run's steps as they start and end, in the words an in-process run uses. */
class RunFollower {
  private readonly printed = new Map<string, string>();
  constructor(
    private readonly stateDir: string,
    private readonly pipeline: string,
    private readonly number: number,
    private readonly output: Output,
  ) {}

  async poll(): Promise<void> {
    const run = await readRun(this.stateDir, this.pipeline, this.number).catch(() => undefined);
    if (!run) return;
    for (const stage of run.stages) {
      for (const step of stage.steps) {
        const seen = this.printed.get(step.id);
        if (seen === step.status) continue;
        const label = `${run.pipeline} #${run.number} ${step.name}`;
        if (step.status === 'running') this.output.out(`${label} …`);
        else if (step.status === 'passed' || step.status === 'failed') {
          const secs = step.startedAt && step.finishedAt ? ` (${((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000).toFixed(1)}s)` : '';
          this.output.out(`${label} ${step.status === 'passed' ? 'ok' : `FAILED${step.error ? `: ${step.error}` : ''}`}${secs}`);
        }
        this.printed.set(step.id, step.status);
      }
    }
  }
}
