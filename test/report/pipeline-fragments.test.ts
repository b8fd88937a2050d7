// Each pipeline's pieces of the shared files (src/report/pipeline-fragments.ts): status.json put
// together from per-pipeline entries is laid out exactly as JSON.stringify(value, null, 2) of the
// whole, and the time until which a pipeline's pieces hold is the first DORA boundary after now.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { contextFor } from '../../src/report/fragments.ts';
import { FOREVER, fragmentsOf, fragmentsUntil } from '../../src/report/pipeline-fragments.ts';
import { modelOf } from '../../src/report/render.ts';
import { renderStatusJson } from '../../src/report/status-json.ts';
import type { RunSummary } from '../../src/report/types.ts';
import { NOW, sampleInput } from './sample.ts';

const canonical = (json: string): string => `${JSON.stringify(JSON.parse(json), null, 2).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;

it('status.json from per-pipeline entries is the layout of JSON.stringify of the whole', () => {
  const base = sampleInput({ secrets: ['hunter2-SECRET'], title: 'deploys <hunter2-SECRET> & more' });
  const app = base.pipelines[0]!;
  const inputs = [
    base,
    sampleInput({ pipelines: [] }),
    // A second pipeline with no environments and no runs, hosts with nothing.
    { ...base, pipelines: [app, { ...app, name: 'lib', environments: [], runs: [], state: { version: 1, pipeline: 'lib', nextRunNumber: 1, environments: {} } }], hosts: [] },
  ];
  for (const input of inputs) {
    const model = modelOf(input);
    const ctx = contextFor(model);
    const json = renderStatusJson(model, ctx, fragmentsOf(model, ctx).all);
    assert.equal(json, canonical(json), `${input.pipelines.length} pipelines`);
    assert.ok(!json.includes('hunter2-SECRET'), 'secrets masked');
  }
});

it('pieces hold until the first time a DORA event enters or leaves a window, or the UTC day ends with one in the chart', () => {
  const DAY = 86_400_000;
  const t = NOW.getTime();
  const at = (ms: number): RunSummary => ({
    pipeline: 'app', number: 1, status: 'deployed', commit: 'c', subject: '', author: '', createdAt: '', deploys: [],
    dora: [{ environment: 'staging', kind: 'deploy', ok: true, at: new Date(ms).toISOString(), run: 1, committedAt: '', trigger: 'poll' }],
  });
  const midnight = Date.UTC(2024, 4, 2);
  const cases: Array<[string, RunSummary[], number]> = [
    ['no events: for ever', [], FOREVER],
    ['leaves the 7 days in an hour', [at(t - 7 * DAY + 3_600_000)], t + 3_600_000],
    ['leaves the 30 days in a minute', [at(t - 30 * DAY + 60_000)], t + 60_000],
    ['enters in a second (a future event)', [at(t + 1000)], t + 1000],
    ['left every window long ago: for ever', [at(t - 100 * DAY)], FOREVER],
    ['left the chart (31 days ago): the 90 days end first', [at(t - 31 * DAY - 1)], t + 59 * DAY - 1],
    ['in the chart: the end of the day', [at(t - 20 * DAY)], midnight],
    ['tomorrow (counted in the chart from midnight)', [at(midnight + 3_600_000)], midnight],
    ['exactly now: counted, and the end of the day comes first', [at(t)], midnight],
    ['the earliest of several', [at(t - 90 * DAY + 5000), at(t - 7 * DAY + 9000)], t + 5000],
    ['an unparsable time is in no window', [{ ...at(t), dora: [{ ...at(t).dora![0]!, at: 'soon' }] }], FOREVER],
  ];
  for (const [label, runs, want] of cases) assert.equal(fragmentsUntil({ runs }, NOW), want, label);
});
