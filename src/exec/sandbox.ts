// The test sandbox: which one is in force, and the exact bubblewrap command line (a pure function,
// pinned by tests). A commit's test commands are code from anyone who can push; without a sandbox
// they run as slipway's user and can read its SSH identity, its ${file:} secrets, the daemon's
// environment (/proc/PID/environ) and write approve requests into STATE/inbox/. Under bwrap,
// whatever is not bound into the sandbox does not exist there: nothing is "hidden", it is absent.

export type SandboxSetting = 'auto' | 'bwrap' | 'none';

export const BWRAP_PATH = '/usr/bin/bwrap';

export interface SandboxChoice {
  kind: 'bwrap' | 'none';
  /** One line for validate, run and the test stage's log. */
  describe: string;
  /** Set when test commands run unisolated: printed as a warning, never silently. */
  warning?: string;
  /** Set when no test command can run as configured (sandbox: bwrap without bwrap). */
  problem?: string;
}

/** `auto` is bwrap when it is installed; `bwrap` without bwrap is refused by the test stage. */
export function chooseSandbox(setting: SandboxSetting, bwrapInstalled: boolean): SandboxChoice {
  if (setting === 'none') {
    return {
      kind: 'none',
      describe: 'sandbox: none',
      warning: 'sandbox: none: test commands run as this user and can read the SSH identity, secret files and the state folder; set sandbox: auto and install bubblewrap (docs/securing.md)',
    };
  }
  if (setting === 'auto' && !bwrapInstalled) {
    return {
      kind: 'none',
      describe: 'sandbox: none (auto, and /usr/bin/bwrap is missing)',
      warning: `sandbox: auto found no ${BWRAP_PATH}: test commands run unisolated as this user; install bubblewrap (apt-get install bubblewrap) (docs/securing.md)`,
    };
  }
  if (!bwrapInstalled) {
    const problem = `sandbox: bwrap is set but ${BWRAP_PATH} is missing; install bubblewrap (apt-get install bubblewrap) or set sandbox: auto`;
    return { kind: 'bwrap', describe: 'sandbox: bwrap (missing)', problem };
  }
  return { kind: 'bwrap', describe: `sandbox: bwrap (test commands see only their workspace, a private /tmp and a per-pipeline HOME)` };
}

/** A top-level folder of the system, bound read-only, or recreated as the same symlink (/bin -> usr/bin). */
export interface SystemEntry {
  path: string;
  /** The link's target when the entry is a symlink. */
  link?: string;
}

/** A path that must not be visible though it lies under a bound folder (a secret file in /etc). */
export interface HiddenPath {
  path: string;
  isDirectory: boolean;
}

export interface BwrapSpec {
  /** Bound read-write; the commands' working folder. */
  workspace: string;
  /** The per-pipeline HOME, bound read-write (caches survive between runs). */
  home: string;
  network: boolean;
  system: SystemEntry[];
  /** Masked (an empty tmpfs over a folder, /dev/null over a file) when under a bound system folder. */
  hidden: HiddenPath[];
}

// Top-level folders a toolchain needs, read-only. Not /home, /root, /var, /srv, /run or /mnt: the
// state folder, the slipway user's ~/.ssh and other users' files usually live there.
export const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt'];

export function bwrapArgs(spec: BwrapSpec): string[] {
  const args = [
    // The sandbox dies with the process that started it, and a new PID namespace means: when
    // its first process is killed at the deadline, the kernel kills every process inside,
    // even one that called setsid to leave the process group.
    '--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    // No capabilities inside, even when slipway runs as root: with CAP_SYS_ADMIN a test could
    // umount the /dev/null laid over a secret file, or remount /etc read-write.
    '--cap-drop', 'ALL',
  ];
  if (!spec.network) args.push('--unshare-net');
  const bound: string[] = [];
  for (const entry of spec.system) {
    if (entry.link !== undefined) args.push('--symlink', entry.link, entry.path);
    else {
      args.push('--ro-bind', entry.path, entry.path);
      bound.push(entry.path);
    }
  }
  // /etc/resolv.conf is often a link into /run (systemd-resolved): keep DNS working.
  args.push('--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve');
  // A fresh /proc of the new PID namespace: the daemon's /proc/PID/environ is not in it.
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const hidden of spec.hidden) {
    if (!bound.some((root) => isBelow(hidden.path, root))) continue;
    if (hidden.isDirectory) args.push('--tmpfs', hidden.path);
    else args.push('--ro-bind', '/dev/null', hidden.path);
  }
  args.push('--bind', spec.home, spec.home, '--bind', spec.workspace, spec.workspace, '--chdir', spec.workspace);
  return args;
}

function isBelow(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/**
 * The environment of a sandboxed command: only what is declared (the commit, the run, where
 * HOME and /tmp are, the locale), never the daemon's own variables, which hold ${env:} secrets.
 */
export function sandboxEnv(base: NodeJS.ProcessEnv, declared: Record<string, string>, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: base.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: home, TMPDIR: '/tmp' };
  for (const name of ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TERM']) {
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...declared };
}
