// `slipway stats [PIPELINE] [--json]`: the DORA numbers of each pipeline's environments over 7, 30
// and 90 days, from the state folder alone (the same numbers as the report and status.json).

import { loadConfig } from '../config/load.ts';
import { readRuns } from '../state/store.ts';
import { computeDora, doraFacts, type DoraNumbers } from '../report/dora.ts';
import { doraJson } from '../report/dora-view.ts';
import { formatDuration } from '../report/format.ts';
import { selectPipelines } from './once.ts';
import type { Output } from '../wiring/output.ts';

function line(w: DoraNumbers): string {
  const rate = w.changeFailureRate === null ? '–' : `${Math.round(w.changeFailureRate * 100)}%`;
  const d = (ms: number | null): string => (ms === null ? '–' : formatDuration(ms));
  return `${String(w.days).padStart(2)} days: ${w.deploys} deploy${w.deploys === 1 ? '' : 's'} (${w.deploysPerDay}/day) · lead time ${d(w.leadTimeMs)} · change failures ${rate} (${w.failures}/${w.attempts}) · time to restore ${d(w.timeToRestoreMs)}`;
}

export async function statsCommand(configDir: string, opts: { names: string[]; json: boolean; now?: Date }, output: Output): Promise<number> {
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const pipelines = selectPipelines(config.pipelines, opts.names);
  const now = opts.now ?? new Date();
  const result: Array<{ name: string; environments: ReturnType<typeof computeDora> }> = [];
  for (const p of pipelines) {
    const runs = await readRuns(config.settings.stateDir, p.name);
    result.push({ name: p.name, environments: computeDora(runs.flatMap(doraFacts), p.environments.map((e) => e.name), now) });
  }
  if (opts.json) {
    output.out(JSON.stringify({ version: 1, generatedAt: now.toISOString(), pipelines: result.map((r) => ({ name: r.name, environments: doraJson(r.environments) })) }, null, 2));
    return 0;
  }
  if (result.length === 0) output.out('no pipelines configured');
  for (const r of result) {
    output.out(r.name);
    for (const e of r.environments) {
      output.out(`  ${e.environment}`);
      for (const w of e.windows) output.out(`    ${line(w)}`);
    }
  }
  return 0;
}
