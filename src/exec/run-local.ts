
// Runs a local command in its own process group. execa's own `timeout` kills only the direct
// child, and a grandchild holding stdout keeps the promise open (61 s in a measured case), so we
// start detached and signal the whole group ourselves: SIGTERM at the deadline, SIGKILL after a
// grace period, and a final SIGKILL sweep after every exit so background jobs a step left behind
// do not outlive it.

// Process groups of the commands running now. The daemon's SIGTERM grace ends by killing them all:
// the one place that knows every local process slipway started, without threading a signal
// through every stage.
const runningGroups = new Set<number>();

// A task process tells the daemon of each group it starts and reaps (run-child.ts): if the task
// process itself dies (kill -9, the OOM killer), its groups outlive it, and only the daemon is
// left to kill them.
let groupWatcher: ((pid: number, running: boolean) => void) | undefined;

/** Hear of every process group started and ended here (one listener: the task process's IPC). */
export function watchGroups(watcher: (pid: number, running: boolean) => void): void {
  groupWatcher = watcher;
}

/** Kill every running command's process group (daemon shutdown after its grace period). */
export function killRunningCommands(signal: NodeJS.Signals = 'SIGKILL'): number {
  for (const pid of runningGroups) killGroup(pid, signal);
  return runningGroups.size;
}

export type OutputStream = 'stdout' | 'stderr';

export interface LocalCommand {
  /** A shell command (run with sh -c), as written in the config. */
  command: string;
  /** Argv put before `sh -c COMMAND`: the sandbox (src/exec/sandbox.ts), or none. */
  prefix?: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Absolute deadline (ms since epoch); the whole test stage shares one. */
  deadline: number;
  /** Raw bytes, per stream: a masking decoder must not see two streams' bytes mixed. */
  onOutput(chunk: Buffer, stream: OutputStream): void;
  graceMs?: number;
  /** Aborted: the group gets SIGTERM, then SIGKILL after the grace (`slipway cancel`, or a parallel test job failed). */
  signal?: AbortSignal;
}

export interface LocalResult {
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  /** Ended by `signal`. */
  cancelled?: boolean;
  durationMs: number;
}

export async function runLocal(cmd: LocalCommand): Promise<LocalResult> {
  const started = Date.now();
  // Loaded on first use: execa costs ~15 MB of RSS, and a daemon that only polls never runs one.
  const { execa } = await import('execa');
  const [file = 'sh', ...args] = [...(cmd.prefix ?? []), 'sh', '-c', cmd.command];
  const child = execa(file, args, {
    cwd: cmd.cwd,
    env: cmd.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    encoding: 'buffer',
    reject: false,
    stripFinalNewline: false,
  });
  if (child.pid) {
    runningGroups.add(child.pid);
    groupWatcher?.(child.pid, true);
  }
  child.stdout?.on('data', (chunk: Buffer) => cmd.onOutput(chunk, 'stdout'));
  child.stderr?.on('data', (chunk: Buffer) => cmd.onOutput(chunk, 'stderr'));

  let timedOut = false;
  const grace = cmd.graceMs ?? 5000;
  let killTimer: NodeJS.Timeout | undefined;
  const termTimer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), grace);
  }, Math.max(0, cmd.deadline - Date.now()));
  let cancelled = false;
  const cancel = (): void => {
    cancelled = true;
    killGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), grace);
  };
  if (cmd.signal?.aborted) cancel();
  else cmd.signal?.addEventListener('abort', cancel, { once: true });

  const result = await child;
  cmd.signal?.removeEventListener('abort', cancel);
  if (child.pid) runningGroups.delete(child.pid);
  clearTimeout(termTimer);
  if (killTimer) clearTimeout(killTimer);
  killGroup(child.pid, 'SIGKILL');
  if (child.pid) groupWatcher?.(child.pid, false);
  const out: LocalResult = {
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    timedOut,
    durationMs: Date.now() - started,
  };
  if (result.signal) out.signal = result.signal;
  if (cancelled) out.cancelled = true;
  return out;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}
