// The I/O half of the sandbox (sandbox.ts holds the decisions): looks at this machine once per
// stage (is bwrap installed, which system folders exist, which hidden paths are folders) and
// returns a runner for the stage's commands. The test stage uses it; a build stage reuses it.
import { existsSync } from 'node:fs';
import { lstat, mkdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runLocal, type LocalResult, type OutputStream } from './run-local.ts';
import {
  BWRAP_PATH, SYSTEM_FOLDERS, bwrapArgs, chooseSandbox, sandboxEnv,
  type HiddenPath, type SandboxChoice, type SandboxSetting, type SystemEntry,
} from './sandbox.ts';

export function detectSandbox(setting: SandboxSetting): SandboxChoice {
  return chooseSandbox(setting, existsSync(BWRAP_PATH));
}

export interface SandboxOptions {
  choice: SandboxChoice;
  workspace: string;
  /** HOME of the commands under bwrap; made (0700) when missing. */
  home: string;
  network: boolean;
  /** Paths the commands must not see (config folder, state folder, keys, secret files). */
  hide: string[];
  /** What the commands are told (CI, SLIPWAY_*): the only variables besides PATH, HOME, locale. */
  declared: Record<string, string>;
  /** The unsandboxed environment (sandbox: none), already stripped of secrets. */
  fallbackEnv: Record<string, string>;
}

export interface CommandRunner {
  readonly choice: SandboxChoice;
  run(command: string, opts: { deadline: number; onOutput(chunk: Buffer, stream: OutputStream): void; graceMs?: number; signal?: AbortSignal }): Promise<LocalResult>;
}

export async function prepareCommandRunner(o: SandboxOptions): Promise<CommandRunner> {
  const { choice } = o;
  if (choice.problem) throw new Error(choice.problem);
  if (choice.kind === 'none') {
    return {
      choice,
      run: (command, r) => runLocal({ command, cwd: o.workspace, env: { ...o.fallbackEnv, ...o.declared }, ...r }),
    };
  }
  await mkdir(o.home, { recursive: true, mode: 0o700 });
  const prefix = [BWRAP_PATH, ...bwrapArgs({
    workspace: o.workspace,
    home: o.home,
    network: o.network,
    system: await systemEntries(),
    hidden: await hiddenPaths(o.hide),
  }), '--'];
  const env = sandboxEnv(process.env, o.declared, o.home);
  return { choice, run: (command, r) => runLocal({ command, cwd: o.workspace, env, prefix, ...r }) };
}

async function systemEntries(): Promise<SystemEntry[]> {
  const entries: SystemEntry[] = [];
  for (const path of SYSTEM_FOLDERS) {
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    entries.push(info.isSymbolicLink() ? { path, link: await readlink(path) } : { path });
  }
  // Node installed outside the system folders (nvm, a tarball in /home): its own folder, read-only.
  const prefix = dirname(dirname(process.execPath));
  if (!entries.some((e) => prefix === e.path || prefix.startsWith(`${e.path}/`)) && prefix !== '/') entries.push({ path: prefix });
  return entries;
}

async function hiddenPaths(paths: string[]): Promise<HiddenPath[]> {
  const out: HiddenPath[] = [];
  for (const path of new Set(paths)) {
    const info = await stat(path).catch(() => undefined);
    if (info) out.push({ path, isDirectory: info.isDirectory() });
  }
  return out;
}
