// `slipway run` as a child process, as systemd would start it: stdout a pipe (journald prefixes),
// its own env. Tests wait on its log lines and state files, never on time.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/slipway.js', import.meta.url).pathname;

export interface Daemon {
  child: ChildProcess;
  log(): string;
  waitLog(pattern: RegExp, what: string, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startDaemon(configDir: string, opts: { env?: Record<string, string>; args?: string[] } = {}): Daemon {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configDir, '--log-level', 'debug', ...(opts.args ?? [])], {
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    log: () => out,
    exited,
    waitLog: (pattern, what, timeoutMs = 60_000) => waitFor(() => pattern.test(out), { timeoutMs, what: `${what}; log so far:\n${out}` }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RunFile {
  number: number;
  status: string;
  trigger: string;
  commit: { id: string };
  error?: string;
  stages: Array<{ name: string; status: string; steps: Array<{ id: string; status: string }> }>;
}

export async function readRunFiles(stateDir: string, pipeline: string): Promise<RunFile[]> {
  const dir = join(stateDir, 'runs', pipeline);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+\.json$/.test(n));
  const runs = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as RunFile));
  return runs.sort((a, b) => a.number - b.number);
}

/** Every JSON file under the state folder parses (the git mirrors and workspaces aside). */
export async function unparsableStateFiles(stateDir: string): Promise<string[]> {
  const bad: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'git' && e.name !== 'work') await walk(p);
      else if (e.isFile() && e.name.endsWith('.json')) {
        try {
          JSON.parse(await readFile(p, 'utf8'));
        } catch {
          bad.push(p);
        }
      }
    }
  };
  await walk(stateDir);
  return bad;
}

/** The pids of the daemon's run processes (a task process is tagged with its kind: `job`, `report`, …). */
export async function jobProcesses(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const c of children.split(' ').filter(Boolean).map(Number)) {
      const argv = (await readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv.some((a) => a.includes('run-child')) && argv.includes('job')) out.push(c);
    }
  }
  return out;
}
