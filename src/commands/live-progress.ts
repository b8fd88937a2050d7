// Live progress of once/deploy/trigger/rollback on the terminal. On a TTY: the progress lines as
// before, plus one status line at the bottom, rewritten every second, with each running step and
// its elapsed time ("▸ app #3 npm test 12s"), and with --follow (the default on a TTY) each
// step's output streamed above it. Not on a TTY: plain lines only, never a carriage return; with
// --follow the output lines are prefixed with their step. Step output is repo data: control
// sequences other than colours are dropped on a terminal (forTerminal).

import type { StepWatch } from '../pipeline/context.ts';
import { forTerminal } from '../terminal-text.ts';

export interface TerminalProgress {
  progress(line: string): void;
  watch: StepWatch;
  /** Clears the status line and stops the ticker. */
  stop(): void;
}

export interface ProgressOptions {
  tty: boolean;
  follow: boolean;
  write(text: string): void;
  now?: () => number;
  /** Ticker period (ms). */
  tickMs?: number;
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function createTerminalProgress(opts: ProgressOptions): TerminalProgress {
  const now = opts.now ?? Date.now;
  const running = new Map<string, number>();
  const partial = new Map<string, string>();
  let statusShown = false;
  let timer: NodeJS.Timeout | undefined;

  const clearStatus = (): void => {
    if (statusShown) opts.write('\r\x1b[K');
    statusShown = false;
  };
  const drawStatus = (): void => {
    if (!opts.tty || running.size === 0) return;
    const parts = [...running].map(([label, at]) => `${label} ${elapsed(now() - at)}`);
    const columns = process.stdout.columns ?? 100;
    let line = `▸ ${parts.join(' · ')}`;
    if (line.length > columns - 1) line = `${line.slice(0, Math.max(10, columns - 2))}…`;
    opts.write(line);
    statusShown = true;
  };
  // Every line goes above the status line: clear it, print, draw it again.
  const print = (text: string): void => {
    clearStatus();
    opts.write(text);
    drawStatus();
  };
  const arm = (): void => {
    if (!opts.tty || timer) return;
    timer = setInterval(() => {
      clearStatus();
      drawStatus();
    }, opts.tickMs ?? 1000);
    timer.unref();
  };
  const disarm = (): void => {
    if (timer && running.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const outputLine = (label: string, line: string): string => (opts.tty ? `  │ ${forTerminal(line, true)}\n` : `${label} | ${line}\n`);

  return {
    progress: (line) => print(`${opts.tty ? forTerminal(line, true) : line}\n`),
    watch: {
      started: (label) => {
        running.set(label, now());
        arm();
        if (opts.tty) print('');
      },
      output: (label, text) => {
        if (!opts.follow) return;
        const lines = `${partial.get(label) ?? ''}${text}`.split('\n');
        partial.set(label, lines.pop() ?? '');
        if (lines.length > 0) print(lines.map((l) => outputLine(label, l)).join(''));
      },
      ended: (label) => {
        const rest = partial.get(label);
        partial.delete(label);
        running.delete(label);
        if (opts.follow && rest) print(outputLine(label, rest));
        else clearStatus();
        disarm();
      },
    },
    stop: () => {
      running.clear();
      clearStatus();
      disarm();
    },
  };
}

/**
 * The progress of a command that runs runs here: a live status line and (with follow) streamed
 * output on a terminal; plain lines through `output` otherwise.
 */
export function progressFor(output: { out(line: string): void }, opts: { follow: boolean | undefined; tty?: boolean }): TerminalProgress {
  const tty = opts.tty ?? process.stdout.isTTY === true;
  const write = tty
    ? (t: string) => void process.stdout.write(t)
    : (t: string) => {
        if (t !== '') output.out(t.endsWith('\n') ? t.slice(0, -1) : t);
      };
  return createTerminalProgress({ tty, follow: opts.follow ?? tty, write });
}
