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
 * `rm -rf` only when something is there: on a redeploy nothing usually is, and every process a
 * host starts costs ~1 ms of CPU on a VM (perf stat of `/bin/true`: 0.84 ms, mostly the dynamic
 * loader's CPUID probes), which ten hosts sharing two cores in bench/deploy.ts pay ten times.
 */
function removeIfPresent(target: string): string {
  return `if [ -e ${target} ] || [ -L ${target} ]; then rm -rf ${target}; fi`;
}

/** Folders made only when missing (a test and a glob are shell builtins, mkdir is a process). */
function makeFolders(...folders: string[]): string {
  return `${folders.map((f) => `[ -d ${f} ]`).join(' && ')} || mkdir -p ${folders.join(' ')}`;
}

/**
 * Pull mode: the host fetches the exact commit into PATH/repo. The branch is fetched first
 * (any commit still on it is then present); a commit no longer on the branch is asked for by id.
 * Credentials arrive on stdin and go to git through GIT_CONFIG_* environment variables, so they
 * never show in a process list or a log.
 *
 * Processes per redeploy (strace -f of one release step, bench/deploy.ts): git fetch starts
 * remote-http, unpack-objects, rev-list and `maintenance run --auto`; the script around it
 * checked the commit twice with cat-file. Now the branch's ref file, read by the shell, names the
 * commit in the usual case (the branch head is deployed) and no cat-file runs; only a commit
 * fetched by id is checked after its fetch. `maintenance.auto=0` with gcIfDue instead: the same
 * `git gc --auto`, started only when a glob says git's thresholds could be met. (Not
 * --no-write-fetch-head: it saves a file write, not a process, and git before 2.29 refuses it.)
 */
export function fetchScript(spec: FetchSpec): string {
  const repo = remotePath(spec.path, 'repo');
  const git = `git -c maintenance.auto=0 --git-dir=${repo}`;
  const fetch = `${git} fetch -q --no-tags`;
  const auth = spec.withAuth
    ? `IFS= read -r slipway_header; export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$slipway_header"; `
    : '';
  const refspec = `+refs/heads/${spec.branch}:refs/heads/${spec.branch}`;
  // A packed ref (after a gc) or a reftable repo leaves the tip empty: cat-file decides then.
  const branchRef = remotePath(spec.path, 'repo', 'refs', 'heads', spec.branch);
  const isCommit = `${git} cat-file -e ${quoteArg(`${spec.commit}^{commit}`)}`;
  return (
    `set -e; ${auth}export GIT_TERMINAL_PROMPT=0; ` +
    `${makeFolders(remotePath(spec.path, 'releases'), remotePath(spec.path, 'shared'))}; ` +
    `[ -d ${repo} ] || git init -q --bare ${repo}; ` +
    `${fetch} ${quoteArgv([spec.repo, refspec])}; ` +
    `slipway_tip=; { IFS= read -r slipway_tip < ${branchRef}; } 2>/dev/null || true; ` +
    // `{ a; b; }`, not `a && b`: set -e stops at a failed fetch only outside an && list.
    `[ "$slipway_tip" = ${quoteArg(spec.commit)} ] || ${isCommit} 2>/dev/null || { ${fetch} ${quoteArgv([spec.repo, spec.commit])}; ${isCommit}; }; ` +
    gcIfDue(spec.path)
  );
}

/**
 * `git gc --auto` when git's own default thresholds (gc.auto 6700 loose objects, estimated from
 * objects/17 as git does: more than 27 there; gc.autoPackLimit 50) could be met, counted by shell
 * globs. gc --auto then decides by itself (it honours the host's gc.* config), so the count only
 * spares the process when there is clearly nothing to do, which is every deploy but one in
 * hundreds. What `maintenance run --auto` did after each fetch, by default, in one process fewer.
 */
export function gcIfDue(path: string): string {
  const objects = remotePath(path, 'repo', 'objects');
  // A failed gc does not fail the deploy, as a failed auto maintenance did not fail git fetch.
  return (
    `slipway_n=0; for slipway_o in ${objects}/17/*; do slipway_n=$((slipway_n + 1)); done; ` +
    `slipway_p=0; for slipway_o in ${objects}/pack/*.pack; do slipway_p=$((slipway_p + 1)); done; ` +
    `{ [ "$slipway_n" -le 27 ] && [ "$slipway_p" -le 50 ]; } || git --git-dir=${remotePath(path, 'repo')} gc --auto --quiet || true`
  );
}

/** The commit's files (no .git) into releases/<release>, with a REVISION file, built beside it and renamed in. */
export function exportScript(path: string, release: string, commit: string): string {
  const partial = remotePath(path, 'releases', `.${release}.partial`);
  const final = remotePath(path, 'releases', release);
  return (
    `set -e; ${removeIfPresent(partial)}; mkdir -p ${partial}; ` +
    `git --git-dir=${remotePath(path, 'repo')} archive --format=tar ${quoteArg(commit)} | tar -x -C ${partial}; ` +
    // The tree may hold its own REVISION, a symlink to any file the deploy user can write
    // (~/.ssh/authorized_keys): removed first, so the redirection creates a new file.
    `${removeIfPresent(`${partial}/REVISION`)}; printf '%s\\n' ${quoteArg(commit)} > ${partial}/REVISION; ` +
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
 *
 * Both without a process (each costs ~1 ms of CPU on a VM; a deploy runs 2 or more of these per
 * host): stdin is read line by line by the shell's `read` (was `$(cat)`), the lines joined with
 * the newline between the quotes; and a new empty file in the lock folder renews its mtime, the
 * lock's age, as `touch` did. Those files go with the folder when the lock is released. When the
 * folder is missing, nothing is made (`touch` made a plain file that later locks tripped over).
 */
export function userCommand(path: string, release: string, env: Record<string, string>, command: string): { script: string; stdin: Buffer } {
  const lock = remotePath(path, '.slipway-lock');
  return {
    script:
      `[ ! -d ${lock} ] || { : > ${lock}/.renewed.$$; } 2>/dev/null; cd ${remotePath(path, 'releases', release)} || exit 1; ` +
      `${readStdinScript()}; eval "$slipway_env"; unset slipway_env; ${command}`,
    stdin: Buffer.from(`${exportEnv(env)}\n`),
  };
}

/**
 * All of stdin into $slipway_env by the shell's `read`, line by line (what `slipway_env=$(cat)`
 * did, without the process), the last line kept when it has no newline.
 */
export function readStdinScript(): string {
  return `slipway_env=; while IFS= read -r slipway_line; do slipway_env="$slipway_env$slipway_line\n"; done; slipway_env="$slipway_env$slipway_line"; unset slipway_line`;
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
    `set -e; ${makeFolders(remotePath(path, 'releases'), remotePath(path, 'shared'))}; ${removeIfPresent(partial)}; mkdir -p ${partial}; ` +
    `tar -x -C ${partial}; ` +
    // The tree may hold its own REVISION, a symlink to any file the deploy user can write
    // (~/.ssh/authorized_keys): removed first, so the redirection creates a new file.
    `${removeIfPresent(`${partial}/REVISION`)}; printf '%s\\n' ${quoteArg(commit)} > ${partial}/REVISION; ` +
    `[ ! -e ${final} ] || { echo "release folder already exists" >&2; exit 1; }; ` +
    `mv ${partial} ${final}`
  );
}
