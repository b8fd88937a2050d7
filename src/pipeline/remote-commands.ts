import { quoteArg, quoteArgv, exportEnv } from '../ssh/quote.ts';

// The shell scripts slipway runs on a host, built as pure functions so tests can pin them
// exactly. Every value that is not slipway's own literal text goes through quoteArg: repo URL,
// branch, commit, release name, paths. User commands from the config (steps, restart, health
// check) are the one thing run as written: the config is the user's own reviewed code.

/** The host layout of one pipeline, rooted at deploy.path (absolute, or ~/ = the deploy user's home). */
export function remotePath(path: string, ...segments: string[]): string {
  const rest = [path.startsWith('~/') ? path.slice(2) : path, ...segments].filter((s) => s !== '').join('/');
  // "~" is not expanded inside quotes, so the home part stays outside them.
  if (path === '~') return segments.length ? `"$HOME"/${quoteArg(segments.join('/'))}` : '"$HOME"';
  return path.startsWith('~/') ? `"$HOME"/${quoteArg(rest)}` : quoteArg(rest);
}

/** <yyyymmddHHMMSS>-<sha7>, in UTC, so names sort by time. */
export function releaseName(commit: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${commit.slice(0, 7)}`;
}

export interface FetchSpec {
  path: string;
  repo: string;
  branch: string;
  commit: string;
  /** When true, the script reads one line from stdin: an HTTP header with the credentials. */
  withAuth: boolean;
}

/**
 * Pull mode: the host fetches the exact commit into PATH/repo. The branch is fetched first
 * (any commit still on it is then present); a commit no longer on the branch is asked for by id.
 * Credentials arrive on stdin and go to git through GIT_CONFIG_* environment variables, so they
 * never show in a process list or a log.
 */
export function fetchScript(spec: FetchSpec): string {
  const repo = remotePath(spec.path, 'repo');
  const git = `git --git-dir=${repo}`;
  const auth = spec.withAuth
    ? `IFS= read -r slipway_header; export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$slipway_header"; `
    : '';
  const refspec = `+refs/heads/${spec.branch}:refs/heads/${spec.branch}`;
  return (
    `set -e; ${auth}export GIT_TERMINAL_PROMPT=0; ` +
    `mkdir -p ${remotePath(spec.path, 'releases')} ${remotePath(spec.path, 'shared')}; ` +
    `[ -d ${repo} ] || git init -q --bare ${repo}; ` +
    `${git} fetch -q --no-tags ${quoteArgv([spec.repo, refspec])}; ` +
    `${git} cat-file -e ${quoteArg(`${spec.commit}^{commit}`)} 2>/dev/null || ${git} fetch -q --no-tags ${quoteArgv([spec.repo, spec.commit])}; ` +
    `${git} cat-file -e ${quoteArg(`${spec.commit}^{commit}`)}`
  );
}

/** The commit's files (no .git) into releases/<release>, with a REVISION file, built beside it and renamed in. */
export function exportScript(path: string, release: string, commit: string): string {
  const partial = remotePath(path, 'releases', `.${release}.partial`);
  const final = remotePath(path, 'releases', release);
  return (
    `set -e; rm -rf ${partial}; mkdir -p ${partial}; ` +
    `git --git-dir=${remotePath(path, 'repo')} archive --format=tar ${quoteArg(commit)} | tar -x -C ${partial}; ` +
    // The tree may hold its own REVISION, a symlink to any file the deploy user can write
    // (~/.ssh/authorized_keys): removed first, so the redirection creates a new file.
    `rm -rf ${partial}/REVISION; printf '%s\\n' ${quoteArg(commit)} > ${partial}/REVISION; ` +
    `[ ! -e ${final} ] || { echo "release folder already exists" >&2; exit 1; }; ` +
    `mv ${partial} ${final}`
  );
}

/**
 * Switch `current` atomically: a new relative link, renamed over the old one (rename(2) is
 * atomic; `ln -sfn` alone unlinks first and leaves a moment with no `current`).
 */
export function switchScript(path: string, release: string): string {
  const tmp = `.current.${release}.tmp`;
  return (
    `set -e; cd ${remotePath(path)}; ` +
    `ln -sfn ${quoteArgv([`releases/${release}`, tmp])}; ` +
    `mv -T ${quoteArgv([tmp, 'current'])}`
  );
}

/** Back to no `current` at all: the state of a host whose first deploy failed. */
export function unlinkCurrentScript(path: string): string {
  return `rm -f ${remotePath(path, 'current')}`;
}

export function removeReleaseScript(path: string, release: string): string {
  return `rm -rf ${remotePath(path, 'releases', release)} ${remotePath(path, 'releases', `.${release}.partial`)}`;
}

/** Keep the newest `keep` releases, and never `protect`ed ones (current, previous). */
export function pruneScript(path: string, keep: number, protect: string[]): string {
  const grep = protect.length ? ` | grep -v -x ${protect.map((p) => `-e ${quoteArg(p)}`).join(' ')}` : '';
  return (
    `cd ${remotePath(path, 'releases')} && ` +
    `ls -1 | grep -v '^\\.' | sort | head -n -${Math.max(0, Math.floor(keep))}${grep} | xargs -r -d '\\n' rm -rf --`
  );
}

/** Remove these release folders (a prune decided from the host's facts: never current or previous). */
export function removeReleasesScript(path: string, releases: readonly string[]): string {
  return `rm -rf -- ${releases.map((r) => remotePath(path, 'releases', r)).join(' ')}`;
}

/** One audit line per switch in PATH/revisions.log: time, release, commit, who. */
export function revisionLogScript(path: string, line: string): string {
  return `printf '%s\\n' ${quoteArg(line)} >> ${remotePath(path, 'revisions.log')}`;
}

/**
 * A user command (step, restart, health check) in the release folder with the host's and
 * slipway's variables. The variables arrive as an export script on stdin, never in the command
 * line, because host `env` may hold secrets and a command line is visible to every user of the
 * host (ps). All of stdin is read (not one line: a PEM from ${file:} has many), and the values
 * are single-quoted in it, so any bytes but NUL (which no variable can hold) arrive intact.
 * Running it also refreshes the deploy lock's age: a long deploy is not "stale".
 */
export function userCommand(path: string, release: string, env: Record<string, string>, command: string): { script: string; stdin: Buffer } {
  return {
    script:
      `touch ${remotePath(path, '.slipway-lock')} 2>/dev/null; cd ${remotePath(path, 'releases', release)} || exit 1; ` +
      `slipway_env=$(cat); eval "$slipway_env"; unset slipway_env; ${command}`,
    stdin: Buffer.from(`${exportEnv(env)}\n`),
  };
}

/** $NAME and ${NAME} in a health URL, from the host's variables; anything else stays literal. */
export function expandVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, a?: string, b?: string) => {
    const name = a ?? b ?? '';
    return Object.hasOwn(env, name) ? (env[name] ?? '') : whole;
  });
}

/** The health check by URL, fetched from the host itself. */
export function healthUrlCommand(url: string, timeoutSeconds: number): string {
  return `curl -fsS -o /dev/null --max-time ${Math.max(1, Math.ceil(timeoutSeconds))} ${quoteArg(url)}`;
}

/** Upload mode: the tree arrives as a tar stream on stdin and becomes releases/<release>, like exportScript. */
export function uploadScript(path: string, release: string, commit: string): string {
  const partial = remotePath(path, 'releases', `.${release}.partial`);
  const final = remotePath(path, 'releases', release);
  return (
    `set -e; mkdir -p ${remotePath(path, 'releases')} ${remotePath(path, 'shared')}; rm -rf ${partial}; mkdir -p ${partial}; ` +
    `tar -x -C ${partial}; ` +
    // The tree may hold its own REVISION, a symlink to any file the deploy user can write
    // (~/.ssh/authorized_keys): removed first, so the redirection creates a new file.
    `rm -rf ${partial}/REVISION; printf '%s\\n' ${quoteArg(commit)} > ${partial}/REVISION; ` +
    `[ ! -e ${final} ] || { echo "release folder already exists" >&2; exit 1; }; ` +
    `mv ${partial} ${final}`
  );
}
