import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderReport } from '../../src/report/render.ts';
import type { HostState, HostSync } from '../../src/state/types.ts';
import { sampleInput } from './sample.ts';

const path = '/srv/app';
const evil = 'current is <script>alert(1)</script> (bbbbbbb), git says 0123456';
const sync = (over: Partial<HostSync>): HostSync => ({
  pipeline: 'app',
  environment: 'staging',
  sync: 'synced',
  reasons: [],
  since: '2024-05-01T10:04:00.000Z',
  observedAt: '2024-05-01T10:05:00.000Z',
  drifted: 0,
  history: [{ sync: 'synced', reasons: [], at: '2024-05-01T10:04:00.000Z' }],
  ...over,
});
const host = (name: string, s?: HostSync): HostState => ({ version: 1, host: name, pipelines: {}, ...(s ? { sync: { [path]: s } } : {}) });

function input() {
  const base = sampleInput();
  const p = base.pipelines[0]!;
  p.environments = [{ name: 'staging', hosts: ['web1', 'web2', 'web3'], approval: 'auto', path }];
  base.hosts = [
    host('web1', sync({})),
    host('web2'),
    host('web3', sync({
      sync: 'out-of-sync',
      reasons: [evil],
      since: '2024-05-01T10:06:00.000Z',
      drifted: 4,
      history: [
        { sync: 'synced', reasons: [], at: '2024-05-01T10:04:00.000Z' },
        { sync: 'out-of-sync', reasons: [evil], at: '2024-05-01T10:06:00.000Z' },
      ],
      heal: { reasons: [evil], failures: 2, lastRun: 3, stopped: '2024-05-01T10:08:00.000Z' },
    })),
  ];
  return base;
}

test('what runs where: drifted hosts first, with since-when and escaped reasons; a drift call-out tops the dashboard', () => {
  const files = renderReport(input());
  const index = files.get('index.html')!;
  const where = index.slice(index.indexOf('<h2>What runs where</h2>'));
  const order = ['web3', 'web1', 'web2'].map((h) => where.indexOf(`<a href="hosts/${h}.html">${h}</a>`));
  assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, `rows in order web3, web1, web2: ${order}`);
  assert.match(where, /<span class="status t-bad">out-of-sync<\/span> since <time class="t" datetime="2024-05-01T10:06:00.000Z"/);
  assert.match(where, /<span class="status t-ok">synced<\/span>/);
  assert.match(where, /not observed yet/);
  assert.match(where, /self-heal stopped after 2 failed heals: current is &lt;script&gt;/);
  assert.doesNotMatch(index, /<script>alert/);
  const callout = index.indexOf('<section class="drift" id="drift">');
  assert.ok(callout > 0 && callout < index.indexOf('<h2>Pipelines</h2>'), 'the call-out comes before everything else');
  assert.match(index, /\(1 host not as git says\)/);
  // The pipeline page's table is the same.
  assert.ok(files.get('pipelines/app/index.html')!.includes('<span class="status t-bad">out-of-sync</span>'));
});

test('host page: the drift history, newest first', () => {
  const page = renderReport(input()).get('hosts/web3.html')!;
  const history = page.slice(page.indexOf('<h2>Drift history'));
  assert.ok(history.length > 0);
  const out = history.indexOf('datetime="2024-05-01T10:06:00.000Z"');
  const back = history.lastIndexOf('datetime="2024-05-01T10:04:00.000Z"');
  assert.ok(out > 0 && back > out, 'newest first');
  assert.doesNotMatch(page, /<script>alert/);
  assert.equal(renderReport(input()).get('hosts/web2.html')!.includes('Drift history'), false);
});
