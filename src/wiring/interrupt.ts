// Ctrl-C (SIGINT) or SIGTERM of `once`, `trigger`, `deploy`, `rollback` or `approve` running a run
// in-process. Dying at once would leave the run `running` and the host locked. Instead the first
// signal aborts the run: local commands are killed, SSH connections are dropped so remote steps
// stop waiting, and the run ends `interrupted` after its rollback and unlock (which reconnect).
// A second signal exits at once; the next slipway start recovers what is left.
import { killRunningCommands } from '../exec/run-local.ts';

export interface Interrupt {
  signal: AbortSignal;
  /** Set when a signal came: the exit code the command should end with (130 / 143). */
  readonly exitCode: number | undefined;
  dispose(): void;
}

export function watchInterrupts(opts: { onAbort: () => Promise<void>; say: (line: string) => void }): Interrupt {
  const controller = new AbortController();
  let exitCode: number | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (exitCode !== undefined) {
      opts.say(`slipway: ${sig} again: exiting now; the next slipway start marks the run interrupted`);
      process.exit(exitCode);
    }
    exitCode = sig === 'SIGINT' ? 130 : 143;
    opts.say(`slipway: ${sig}: stopping the run (rolling back and releasing host locks); ${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once`);
    controller.abort();
    killRunningCommands('SIGTERM');
    void opts.onAbort().catch(() => undefined);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    get exitCode() {
      return exitCode;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
