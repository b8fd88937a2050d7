import type { EnvironmentConfig } from '../config/types.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { exportEnv, quoteArg } from '../ssh/quote.ts';
import { hostValue } from '../terminal-text.ts';
import { expandVars, healthUrlCommand, readStdinScript, remotePath } from './remote-commands.ts';

// What a host runs at one deploy path, read in ONE exec: the one way deploy, rollback,
// `status --live` and observe learn the truth of a host. The script only reads (it never
// changes the host) and always exits 0 when the shell ran, so an exit status other than 0 or
// no `end=` line means the host could not be read, not that it drifted.

/** What to read besides the layout: the observation's extras. */
export interface FactsRequest {
  /** deploy.path of the environment. */
  path: string;
  /**
   * Run the health check now, in the current release folder, with these variables (arrive on
   * stdin like every user command's: never in argv). Omitted: no health answer is read.
   */
  health?: { command: string; env: Record<string, string> };
  /** observe.files: absolute or ~/ paths whose sha256 is read. */
  files?: string[];
  /** observe.service: a systemd unit whose ActiveState/SubState/NRestarts are read. */
  service?: string;
}

export interface HostFacts {
  /** The release `current` points at, or undefined on a fresh host. */
  current?: string;
  /** The commit in current/REVISION: what really runs there. */
  revision?: string;
  /** The artifact sha256 in current/ARTIFACT (source: artifact). */
  artifact?: string;
  /** Release folder names, oldest first. */
  releases: string[];
  /** Release name -> the commit in its REVISION file. */
  commits: Record<string, string>;
  /** A deploy lock on this path: its holder and age. */
  lock?: { ageSeconds: number; holder: string };
  /** `current` points somewhere that is not a release folder of this path. */
  foreignCurrent?: string;
  /** `current` is a link to a release folder that does not exist. */
  dangling?: boolean;
  /** Only when health was asked and there is a current release: the check's answer now. */
  health?: { ok: boolean; exitCode: number; output: string };
  /** Only when files were asked: path -> sha256, or null when the file is missing/unreadable. */
  files?: Record<string, string | null>;
  /** Only when a service was asked: what systemd says of it (missing fields: systemctl had none). */
  service?: { activeState?: string; subState?: string; restarts?: number };
}

/** The health command of an environment (command and/or URL), as run in the release folder. */
export function healthCommand(env: EnvironmentConfig, vars: Record<string, string>): string | undefined {
  const hc = env.deploy.healthCheck;
  if (!hc) return undefined;
  const commands = [hc.command, hc.url ? healthUrlCommand(expandVars(hc.url, vars), hc.intervalMs / 1000 + 5) : undefined].filter((c): c is string => !!c);
  return commands.length ? commands.join(' && ') : undefined;
}

function anyPath(p: string): string {
  return p.startsWith('~/') ? `"$HOME"/${quoteArg(p.slice(2))}` : quoteArg(p);
}

/** The one read-only script; its stdin carries the health check's variables (or nothing). */
export function factsScript(req: FactsRequest | string): { script: string; stdin?: Buffer } {
  const r: FactsRequest = typeof req === 'string' ? { path: req } : req;
  const releases = remotePath(r.path, 'releases');
  const lines = [
    `cur=$(readlink ${remotePath(r.path, 'current')} 2>/dev/null || true)`,
    `printf 'current=%s\\n' "$cur"`,
    `[ -z "$cur" ] || [ -d ${remotePath(r.path, 'current')}/ ] || printf 'dangling=1\\n'`,
    // Files are read with the shell's own `read` and names cut with parameter expansion: no
    // process per release, so a host with many releases (or many paths) answers with few forks.
    `v=; { IFS= read -r v < ${remotePath(r.path, 'current', 'REVISION')}; } 2>/dev/null; printf 'revision=%s\\n' "$v"`,
    `v=; { IFS= read -r v < ${remotePath(r.path, 'current', 'ARTIFACT')}; } 2>/dev/null; printf 'artifact=%s\\n' "$v"`,
    `for r in ${releases}/*/; do [ -d "$r" ] || continue; r=\${r%/}; v=; { IFS= read -r v < "$r/REVISION"; } 2>/dev/null; printf 'release=%s %s\\n' "\${r##*/}" "$v"; done`,
    `lock=${remotePath(r.path, '.slipway-lock')}`,
    // The holder by `read`, not `head`: one process fewer on every connect (each ~1 ms of CPU).
    `if [ -d "$lock" ]; then h=; { IFS= read -r h < "$lock/info"; } 2>/dev/null; printf 'lock=%s %s\\n' "$(( $(date +%s) - $(stat -c %Y "$lock") ))" "$h"; fi`,
  ];
  for (const [i, f] of (r.files ?? []).entries()) {
    lines.push(`if [ -r ${anyPath(f)} ] && [ -f ${anyPath(f)} ]; then printf 'file=%s %s\\n' ${i} "$(sha256sum < ${anyPath(f)} | cut -c1-64)"; else printf 'file=%s -\\n' ${i}; fi`);
  }
  if (r.service) {
    lines.push(`systemctl show -p ActiveState -p SubState -p NRestarts ${quoteArg(r.service)} 2>/dev/null | sed 's/^/service./'`);
  }
  let stdin: Buffer | undefined;
  if (r.health) {
    // In a subshell in the current release folder: the check's output is captured, never
    // mixed with the fact lines; its last lines say why it failed.
    // The variables are read from stdin first (all of it: a PEM has many lines), the check
    // itself gets an empty stdin.
    lines.push(
      readStdinScript(),
      `if [ -n "$cur" ] && [ -d ${remotePath(r.path, 'current')}/ ]; then ` +
        `hout=$( (cd ${remotePath(r.path, 'current')}/ && eval "$slipway_env" && unset slipway_env && ${r.health.command}) 2>&1 </dev/null ); hcode=$?; ` +
        `printf 'health=%s\\n' "$hcode"; printf '%s\\n' "$hout" | tail -n 3 | sed 's/^/health-output=/'; fi`,
    );
    stdin = Buffer.from(`${exportEnv(r.health.env)}\n`);
  }
  lines.push(`printf 'end=1\\n'`);
  // `; ` joins: one failing read (no releases/ yet) never stops the others.
  return { script: lines.join('; '), ...(stdin ? { stdin } : {}) };
}

const SHA = /^[0-9a-f]{40}$/;

/** The host's text, parsed; anything that came from the host is stripped of control characters. */
export function parseFacts(stdout: string, req?: FactsRequest): HostFacts {
  const facts: HostFacts = { releases: [], commits: {} };
  const health: string[] = [];
  let healthCode: number | undefined;
  const service: NonNullable<HostFacts['service']> = {};
  let sawService = false;
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    if (key === 'current') {
      // Ours are relative (releases/NAME); an absolute one into this path's releases/ (made by
      // Capistrano or by hand) counts too. Anything else is a link we do not understand.
      const m = /(?:^|\/)releases\/([^/]+)\/?$/.exec(value);
      if (m?.[1]) facts.current = m[1];
      else if (value !== '') facts.foreignCurrent = hostValue(value);
    } else if (key === 'dangling') {
      facts.dangling = true;
    } else if (key === 'revision') {
      if (SHA.test(value.trim())) facts.revision = value.trim();
    } else if (key === 'artifact') {
      if (/^[0-9a-f]{64}$/.test(value.trim())) facts.artifact = value.trim();
    } else if (key === 'lock') {
      const m = /^(\d+) (.*)$/.exec(value);
      // The holder text comes from the host: no control characters reach a terminal or page.
      if (m) facts.lock = { ageSeconds: Number(m[1]), holder: hostValue(m[2] ?? '') };
    } else if (key === 'release') {
      const [name = '', rev = ''] = value.split(' ');
      if (!name || name.startsWith('.')) continue;
      facts.releases.push(name);
      if (SHA.test(rev)) facts.commits[name] = rev;
    } else if (key === 'file' && req?.files) {
      const m = /^(\d+) (.*)$/.exec(value);
      const path = m ? req.files[Number(m[1])] : undefined;
      if (m && path !== undefined) (facts.files ??= {})[path] = /^[0-9a-f]{64}$/.test(m[2] ?? '') ? m[2]! : null;
    } else if (key === 'health') {
      healthCode = Number(value);
    } else if (key === 'health-output') {
      health.push(hostValue(value));
    } else if (key === 'service.ActiveState') {
      sawService = true;
      if (value) service.activeState = hostValue(value);
    } else if (key === 'service.SubState') {
      sawService = true;
      if (value) service.subState = hostValue(value);
    } else if (key === 'service.NRestarts') {
      sawService = true;
      if (/^\d+$/.test(value)) service.restarts = Number(value);
    }
  }
  facts.releases.sort();
  if (healthCode !== undefined && Number.isFinite(healthCode)) {
    facts.health = { ok: healthCode === 0, exitCode: healthCode, output: health.join('\n').trim() };
  }
  if (req?.files) for (const f of req.files) (facts.files ??= {})[f] ??= null;
  if (req?.service) facts.service = sawService ? service : {};
  return facts;
}

/** Whether `current` names a complete release: a folder with its REVISION. */
export function currentComplete(facts: HostFacts): boolean {
  return !!facts.current && !facts.dangling && facts.releases.includes(facts.current) && facts.commits[facts.current] !== undefined;
}

/** The release before `current` on a host: where a rollback goes. */
export function previousRelease(facts: HostFacts): string | undefined {
  if (!facts.current) return undefined;
  const i = facts.releases.indexOf(facts.current);
  return i > 0 ? facts.releases[i - 1] : undefined;
}

export class HostFactsError extends Error {}

/**
 * One SSH exec; throws HostFactsError when the host could not be read (connection refused,
 * timeout, shell missing): the caller records that as `unknown`, never as drift.
 */
export async function readHostFacts(conn: SshConnection, req: FactsRequest, timeoutMs: number): Promise<HostFacts> {
  const { script, stdin } = factsScript(req);
  const res = await conn.exec(script, { timeoutMs, ...(stdin ? { stdin } : {}) });
  if (res.timedOut) throw new HostFactsError(`no answer within ${Math.round(timeoutMs / 1000)} s`);
  if (res.code !== 0 || !/(^|\n)end=1\n?$/.test(res.stdout)) {
    const said = res.stderr.trim().split('\n').pop() ?? '';
    throw new HostFactsError(`reading the host failed (exit ${res.code ?? res.signal ?? '?'})${said ? `: ${hostValue(said)}` : ''}`);
  }
  return parseFacts(res.stdout, req);
}
