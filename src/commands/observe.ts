// `slipway observe [PIPELINE] [--json]`: one observation now of every observed environment's
// hosts, printed per host. While `slipway run` (or another command) holds the state folder this
// only reads (its own SSH reads; nothing written: the daemon records its own observations);
// otherwise it takes the state lock and records the result like the daemon would.
import { loadConfig } from '../config/load.ts';
import { observeOf } from '../config/observe.ts';
import { UsageError } from '../errors.ts';
import { acquireStateLock, readLockHolder, type StateLock } from '../state/lock.ts';
import { observeEnvironment, type HostObservation } from '../pipeline/observe-hosts.ts';
import { healStoppedLine } from '../state/host-sync.ts';
import { reportConfigOf, updateReport } from '../report/index.ts';
import { terminalLine } from '../terminal-text.ts';
import { humanTime } from './human-time.ts';
import { createPool } from '../wiring/runtime.ts';
import type { Output } from '../wiring/output.ts';

export async function observeCommand(configDir: string, opts: { pipeline?: string; json: boolean }, output: Output): Promise<number> {
  const config = await loadConfig(configDir);
  const pipelines = opts.pipeline ? config.pipelines.filter((p) => p.name === opts.pipeline) : config.pipelines;
  if (opts.pipeline && pipelines.length === 0) throw new UsageError(`no pipeline ${JSON.stringify(opts.pipeline)} (configured: ${config.pipelines.map((p) => p.name).join(', ') || 'none'})`);
  const stateDir = config.settings.stateDir;
  const holder = await readLockHolder(stateDir);
  let lock: StateLock | undefined;
  if (!holder) lock = await acquireStateLock(stateDir, { command: 'observe' });
  const pool = createPool(config);
  const found: HostObservation[] = [];
  try {
    const deps = { config, pool, now: () => new Date() };
    const envs = pipelines.flatMap((p) => p.environments.filter((e) => observeOf(e)).map((e) => ({ p, e })));
    for (const list of await Promise.all(envs.map(({ p, e }) => observeEnvironment(deps, p, e, { record: !!lock })))) found.push(...list);
    if (lock) await updateReport(stateDir, reportConfigOf(config)).catch(() => undefined);
  } finally {
    await pool.closeAll();
    await lock?.release();
  }
  const drifted = found.some((o) => o.classification && o.classification.sync !== 'synced');
  if (opts.json) {
    output.out(JSON.stringify({ version: 1, recorded: !!lock, hosts: found.map(jsonOf) }, null, 2));
    return drifted ? 1 : 0;
  }
  if (found.length === 0) output.out('nothing observed: no environment has observe on');
  if (holder) output.out(`(${holder.command === 'run' ? 'the daemon' : `slipway ${holder.command}`} holds the state folder, pid ${holder.pid}: observed read-only, nothing recorded)`);
  const now = new Date();
  for (const o of found) {
    const where = `${o.pipeline}/${o.environment} ${o.host}`;
    if (!o.classification || !o.sync) {
      output.out(`${where}: nothing deployed yet (nothing desired, so no drift)`);
      continue;
    }
    const what = o.facts?.current ? ` ${o.facts.current}` : '';
    output.out(`${where}: ${output.status(o.sync.sync)}${what} since ${humanTime(o.sync.since, now)}${o.locked ? '  [deploy lock held: the host is changing]' : ''}`);
    for (const r of o.sync.reasons) output.out(`  ${terminalLine(r)}`);
    const stopped = healStoppedLine(o.sync);
    if (stopped) output.out(`  ${terminalLine(stopped)}`);
  }
  return drifted ? 1 : 0;
}

function jsonOf(o: HostObservation): Record<string, unknown> {
  const base = { pipeline: o.pipeline, environment: o.environment, host: o.host, path: o.path };
  if (!o.classification || !o.sync) return { ...base, sync: null, reasons: ['nothing deployed yet'] };
  const stopped = healStoppedLine(o.sync);
  return {
    ...base,
    sync: o.sync.sync,
    reasons: o.sync.reasons,
    since: o.sync.since,
    observedAt: o.sync.observedAt,
    ...(o.facts?.current ? { current: o.facts.current } : {}),
    ...(o.facts?.revision ? { commit: o.facts.revision } : {}),
    locked: o.locked,
    ...(stopped ? { selfHeal: stopped } : {}),
  };
}
