import { quoteArg } from '../ssh/quote.ts';
import { remotePath } from './remote-commands.ts';
import { hostValue } from '../terminal-text.ts';

// The per-path deploy lock on a host, PATH/.slipway-lock/info, as remote scripts (pure, pinned by
// tests). Every change of the lock is one rename(2), so of two processes racing for it exactly one
// wins, whoever they are:
// - taking a free lock: a folder with `info` already written is renamed to .slipway-lock (`mv -T`
//   fails on an existing non-empty folder), so nobody ever sees a lock without its holder;
// - taking over a stale lock: `info` is renamed away first (one taker's rename finds it, the
//   other's finds nothing), then checked to be the holder we judged stale, else put back;
// - releasing: the same rename first, so a release never removes a lock someone else took over.
// The lock folder's mtime is its age; renames inside it and `refreshLockScript` renew it.
// The holder is read with the shell's own `read` (its info is one line: lockInfo), not `cat` or
// `head`, and folders are made or removed only when needed: every process costs a host ~1 ms of
// CPU on a VM, and a deploy takes and releases a lock on every host (bench/deploy.ts).

export const LOCK_HELD_EXIT = 75;

const lockDir = (path: string): string => remotePath(path, '.slipway-lock');

/** Sets shell variable `name` to the file's first line ('' when it is missing), no process. */
function readLine(name: string, file: string): string {
  return `${name}=; { IFS= read -r ${name} < ${file}; } 2>/dev/null`;
}

/** Prints `held=AGE HOLDER` (HOLDER empty while someone is mid-takeover) and exits LOCK_HELD_EXIT. */
function heldReport(lock: string): string {
  return (
    `{ age=$(( $(date +%s) - $(stat -c %Y ${lock} 2>/dev/null || date +%s) )); ` +
    `${readLine('slipway_holder', `${lock}/info`)}; printf 'held=%s %s\\n' "$age" "$slipway_holder"; exit ${LOCK_HELD_EXIT}; }`
  );
}

/** Take the lock if it is free; otherwise report its holder and age. */
export function acquireLockScript(path: string, info: string): string {
  const lock = lockDir(path);
  return (
    `[ -d ${remotePath(path)} ] || mkdir -p ${remotePath(path)} || exit 1; new=${lock}.new.$$; if [ -e "$new" ] || [ -L "$new" ]; then rm -rf "$new"; fi; mkdir "$new" || exit 1; ` +
    `printf '%s\\n' ${quoteArg(info)} > "$new/info" || { rm -rf "$new"; exit 1; }; ` +
    `if mv -T "$new" ${lock} 2>/dev/null; then exit 0; fi; rm -rf "$new"; ` +
    heldReport(lock)
  );
}

/**
 * Take over the lock from `expected` (the holder judged stale), atomically. An empty `expected`
 * is a lock whose taker died between its two renames (no `info` at all): the whole folder is
 * renamed aside, and put back if it turns out to hold a live lock after all.
 */
export function takeOverLockScript(path: string, info: string, expected: string): string {
  const lock = lockDir(path);
  if (expected === '') {
    return (
      `dead=${lock}.dead.$$; mv -T ${lock} "$dead" 2>/dev/null || ${heldReport(lock)}; ` +
      `if [ -e "$dead/info" ]; then mv -T "$dead" ${lock} 2>/dev/null || rm -rf "$dead"; ${heldReport(lock)}; fi; ` +
      `rm -rf "$dead"; ${acquireLockScript(path, info)}`
    );
  }
  return (
    `t=${lock}/info.taken.$$; mv ${lock}/info "$t" 2>/dev/null || ${heldReport(lock)}; ` +
    `${readLine('slipway_was', '"$t"')}; if [ "$slipway_was" != ${quoteArg(expected)} ]; then mv "$t" ${lock}/info; ${heldReport(lock)}; fi; ` +
    `printf '%s\\n' ${quoteArg(info)} > ${lock}/info.new.$$ && mv ${lock}/info.new.$$ ${lock}/info && rm -f "$t" && touch ${lock}`
  );
}

/** Release the lock only if it is still ours (a taken-over lock belongs to someone else now). */
export function releaseLockScript(path: string, info: string): string {
  const lock = lockDir(path);
  return (
    `t=${lock}/info.release.$$; if mv ${lock}/info "$t" 2>/dev/null; then ` +
    `${readLine('slipway_was', '"$t"')}; if [ "$slipway_was" = ${quoteArg(info)} ]; then rm -rf ${lock}; else mv "$t" ${lock}/info; fi; fi; true`
  );
}

/** Renew the lock's age while a long step runs, so nobody takes it for stale. */
export function refreshLockScript(path: string, info: string): string {
  const lock = lockDir(path);
  return `${readLine('slipway_was', `${lock}/info`)}; [ "$slipway_was" = ${quoteArg(info)} ] && touch ${lock}; true`;
}

/** The holder line a lock script printed (`held=AGE HOLDER`), control characters replaced. */
export function parseHeld(stdout: string): { ageSeconds: number; holder: string } | undefined {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('held='));
  const m = line ? /^held=(\d+) ?(.*)$/.exec(line) : null;
  if (!m) return undefined;
  return { ageSeconds: Number(m[1]), holder: hostValue(m[2] ?? '').trim() };
}

/** Release the lock if a given run holds it (its info starts with `prefix`): recovery after a crash. */
export function releaseRunLockScript(path: string, prefix: string): string {
  const lock = lockDir(path);
  return (
    `t=${lock}/info.release.$$; if mv ${lock}/info "$t" 2>/dev/null; then ` +
    `${readLine('slipway_was', '"$t"')}; case "$slipway_was" in ${quoteArg(prefix)}*) rm -rf ${lock}; echo released;; *) mv "$t" ${lock}/info;; esac; fi; true`
  );
}

/**
 * For an undo that runs after the host released our lock (it was healthy; a sibling failed
 * later): take the lock again first, when it is free or still ours. When someone else holds it
 * (a newer deploy), exit LOCK_HELD_EXIT with the `held=` line and `runs=` what `current` names,
 * having changed nothing: the applier decides whether that holder may be taken over.
 */
export function relockScript(path: string, info: string): string {
  const lock = lockDir(path);
  return (
    `${readLine('slipway_was', `${lock}/info`)}; if [ "$slipway_was" != ${quoteArg(info)} ]; then ( ${acquireLockScript(path, info)} ) </dev/null || { slipway_rc=$?; ` +
    `[ "$slipway_rc" -ne ${LOCK_HELD_EXIT} ] || printf 'runs=%s\\n' "$(readlink ${remotePath(path, 'current')} 2>/dev/null)"; exit "$slipway_rc"; }; fi`
  );
}

/** The release a relockScript said `current` names (`runs=releases/NAME`); '' when there is none. */
export function parseRuns(stdout: string): string {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('runs='));
  return hostValue((line ?? '').slice('runs='.length)).trim().replace(/^releases\//, '');
}
