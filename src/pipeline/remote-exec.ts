// The applier's hands on a host: one remote exec with its output in the step log, stdin opened
// from a plan's StepInput, and the retried health check. Nothing here decides what to run.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { SshConnection } from '../ssh/connection.ts';
import type { StepLog } from '../exec/log-file.ts';
import type { StepOutcome } from './step.ts';
import type { Retry, StepInput } from './plan-types.ts';
import { formatMs } from './test-stage.ts';
import { tailLines } from '../state/failure-tail.ts';

export type ExecOutcome = StepOutcome & { stdout?: string; stderr?: string };

/** Run a remote script, output to the step log; non-zero exit or timeout is an ordinary failure. */
export async function remoteExec(conn: SshConnection, script: string, log: StepLog, opts: { timeoutMs: number; stdin?: Buffer | NodeJS.ReadableStream }): Promise<ExecOutcome> {
  const started = Date.now();
  const res = await conn.exec(script, {
    timeoutMs: opts.timeoutMs,
    onStdout: (c) => log.output(c, 'stdout'),
    onStderr: (c) => log.output(c, 'stderr'),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  });
  if (res.timedOut) {
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    return {
      ok: false,
      stdout: res.stdout,
      stderr: res.stderr,
      error:
        res.timedOutBy === 'slipway'
          ? `no answer from the host for ${took} (limit ${formatMs(opts.timeoutMs)}); slipway closed the channel, the command may still run there`
          : `timed out after ${took} (limit ${formatMs(opts.timeoutMs)}); the host's timeout stopped the command and its process group`,
    };
  }
  if (res.code !== 0) {
    return { ok: false, stdout: res.stdout, stderr: res.stderr, ...(res.code !== null ? { exitCode: res.code } : {}), error: res.signal ? `killed by ${res.signal}` : `exited with code ${res.code}` };
  }
  return { ok: true, exitCode: 0, stdout: res.stdout };
}

/** One exec whose stdin is a plan's StepInput: bytes, a local file, or a local folder as tar. */
export async function execWithInput(conn: SshConnection, script: string, input: StepInput | undefined, log: StepLog, timeoutMs: number): Promise<ExecOutcome> {
  if (!input) return remoteExec(conn, script, log, { timeoutMs });
  if (input.kind === 'bytes') return remoteExec(conn, script, log, { timeoutMs, stdin: input.data });
  if (input.kind === 'file') {
    try {
      await access(input.path);
    } catch {
      return { ok: false, error: input.missing };
    }
    return remoteExec(conn, script, log, { timeoutMs, stdin: createReadStream(input.path) });
  }
  return execWithTree(conn, script, input.dir, log, timeoutMs);
}

/** source: upload — the tested tree as a tar stream over the SSH channel, for hosts that cannot reach the git remote. */
async function execWithTree(conn: SshConnection, script: string, dir: string, log: StepLog, timeoutMs: number): Promise<ExecOutcome> {
  const tar = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (c: Buffer) => (tarErr += c.toString()));
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', (code) => resolve(code)));
  // Piped at once: when a child exits, Node resumes (and so discards) any of its output streams
  // nobody reads yet, and a small tree is written before the SSH channel has opened.
  const body = tar.stdout.pipe(new PassThrough());
  let res: ExecOutcome;
  try {
    res = await remoteExec(conn, script, log, { timeoutMs, stdin: body });
  } finally {
    // A host that failed before reading everything leaves tar blocked on a full pipe: end it.
    if (tar.exitCode === null) tar.kill('SIGKILL');
    body.resume();
  }
  const tarCode = await tarDone;
  if (!res.ok) return res;
  if (tarCode !== 0) return { ok: false, error: `local tar failed (${tarCode}): ${tarErr.trim()}` };
  return res;
}

/**
 * The check is retried every `interval` until `timeout`. Each attempt's output goes to the
 * log, so a flapping service shows its history.
 */
export async function retryUntilOk(conn: SshConnection, retry: Retry, log: StepLog): Promise<StepOutcome> {
  const deadline = Date.now() + retry.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    log.write(`health check of ${retry.release}, attempt ${attempt}:\n`);
    const res = await remoteExec(conn, retry.script, log, { timeoutMs: Math.max(1000, left), ...(retry.stdin ? { stdin: retry.stdin } : {}) });
    if (res.ok) return { ok: true, exitCode: 0 };
    if (Date.now() + retry.intervalMs > deadline) {
      // The exit code alone says little (curl's 7); the check's own last line says why.
      const said = tailLines(`${res.stdout ?? ''}\n${res.stderr ?? ''}`, 1)[0];
      return { ok: false, ...(res.exitCode !== undefined ? { exitCode: res.exitCode } : {}), error: `unhealthy after ${attempt} attempts in ${formatMs(retry.timeoutMs)}: ${res.error}${said ? `: ${said}` : ''}` };
    }
    await new Promise((r) => setTimeout(r, retry.intervalMs));
  }
}
