// Notifications of a host's sync (docs/observe.md): `drift` when a host leaves synced, `synced`
// when it is back, `heal-failed` when self-heal stopped after two failed heals of one drift.
// Same targets and transport as run events (notify.ts); reasons come from the host: masked.
import type { HostSync } from '../state/types.ts';
import { maskSecrets } from '../exec/mask.ts';
import { pagePath } from '../report/format.ts';
import { reportUrlOf } from '../report/links.ts';
import type { HostEvent } from './notify.ts';

export interface HostNotifyPayload {
  text: string;
  event: HostEvent;
  pipeline: string;
  environment: string;
  host: string;
  sync: HostSync['sync'];
  reasons: string[];
  since: string;
  /** The heal run that failed last (heal-failed). */
  run?: number;
  /** The host's page: report.url (else the server's listen address) + its path. */
  url?: string;
}

export function buildHostPayload(event: HostEvent, host: string, s: HostSync, opts: { secrets: readonly string[]; reportUrl?: string }): HostNotifyPayload {
  const mask = (t: string): string => maskSecrets(t, opts.secrets);
  const where = `${s.pipeline}/${s.environment} ${host}`;
  const why = s.reasons.length ? `: ${s.reasons.join('; ')}` : '';
  const words: Record<HostEvent, string> = {
    drift: `drift: ${where} is ${s.sync}${why}`,
    synced: `synced: ${where} runs what git says again`,
    'heal-failed': `heal-failed: ${where}: self-heal stopped after ${s.heal?.failures ?? 2} failed heals${s.heal?.lastRun ? ` (last: run #${s.heal.lastRun})` : ''}${why}`,
  };
  const url = reportUrlOf(opts.reportUrl?.replace(/\/+$/, ''), pagePath.host(host));
  return {
    text: mask(url ? `${words[event]} ${url}` : words[event]),
    event,
    pipeline: s.pipeline,
    environment: s.environment,
    host,
    sync: s.sync,
    reasons: s.reasons.map(mask),
    since: s.since,
    ...(event === 'heal-failed' && s.heal?.lastRun ? { run: s.heal.lastRun } : {}),
    ...(url ? { url } : {}),
  };
}
