import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import { escapeHtml } from '../../src/report/format.ts';
import { renderReport } from '../../src/report/render.ts';
import type { ReportInput } from '../../src/report/types.ts';
import { sampleRun } from '../state/helpers.ts';
import { NOW, deployedRun, sampleInput, waitingRun } from './sample.ts';

/** Every file that is markup (status.json is data: checked on its own). */
function allOutput(files: Map<string, string>): string {
  return [...files].filter(([k]) => !k.endsWith('.json')).map(([, v]) => v).join('\n');
}

function unescapeHtml(s: string): string {
  return s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
}

/** Every href of every page points at a page of the report, relatively. */
function assertLinksResolve(files: Map<string, string>): void {
  for (const [page, html] of files) {
    for (const m of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
      const raw = unescapeHtml(m[1] ?? '');
      if (/^https:\/\//.test(raw) && html.includes(`href="${m[1]}" rel="noreferrer noopener"`)) continue; // a forge's commit page
      assert.doesNotMatch(raw, /^([a-z]+:|\/)/i, `${page}: ${raw} is not relative`);
      const target = posix.normalize(posix.join(posix.dirname(page), raw.split('/').map(decodeURIComponent).join('/')));
      assert.ok(files.has(target), `${page}: link ${raw} -> ${target} has no page`);
    }
  }
}

describe('renderReport', () => {
  it('renders the dashboard, pipeline, run and host pages', () => {
    const files = renderReport(sampleInput());
    assert.deepEqual([...files.keys()].sort(), [
      'app.css',
      'app.js',
      'badges/app.svg',
      'badges/app/production.svg',
      'badges/app/staging.svg',
      'favicon.svg',
      'feed.xml',
      'hosts/web1.html',
      'hosts/web2.html',
      'index.html',
      'pipelines/app/deployed.html',
      'pipelines/app/failed.html',
      'pipelines/app/index.html',
      'pipelines/app/waiting.html',
      'runs/app/1.html',
      'runs/app/2.html',
      'runs/app/3.html',
      'status.json',
    ]);
    const index = files.get('index.html') ?? '';
    assert.match(index, /<span class="status s-waiting">waiting<\/span>/);
    // Absolute text (true however long the page stays unrewritten); app.js makes it relative.
    assert.match(index, /<time class="t" datetime="2024-05-01T10:00:02.000Z" title="2024-05-01T10:00:02.000Z">2024-05-01 10:00 UTC<\/time>/);
    assert.match(index, /3 min 20 s/);
    assert.match(index, /<td[^>]*><a href="hosts\/web1.html">web1<\/a><\/td><td[^>]*><code>0123456<\/code> <span class="mono hide-narrow">20240501100100-0123456<\/span><\/td><td[^>]*><time class="t" datetime="2024-05-01T10:03:00.000Z"[^>]*>2024-05-01 10:03 UTC<\/time><\/td><td[^>]*><span class="ok">healthy<\/span> in <a href="runs\/app\/3.html">#3<\/a><\/td><td[^>]*><span class="ok">matches<\/span><\/td>/);
    assertLinksResolve(files);
  });

  it('every page is self-contained: CSP, only the report\'s own script and styles, no external assets, responsive', () => {
    const files = renderReport(sampleInput());
    for (const [page, html] of files) {
      if (!page.endsWith('.html')) continue;
      assert.ok(html.startsWith('<!DOCTYPE html>'), page);
      assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'">`), page);
      assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'), page);
      const depth = page.split('/').length - 1;
      const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
      assert.deepEqual(scripts, [`<script src="${'../'.repeat(depth)}app.js" defer>`], page);
      assert.ok(html.includes(`<link rel="stylesheet" href="${'../'.repeat(depth)}app.css">`), page);
      assert.doesNotMatch(html, /<style|style=|\son[a-z]+=|@import|url\(|javascript:/i, page);
    }
    assert.ok(files.get('app.css')?.includes('prefers-color-scheme:dark'));
    assert.doesNotMatch(files.get('app.css') ?? '', /url\(|@import/);
  });

  it('a waiting run shows the exact approve command on the dashboard and its page', () => {
    const files = renderReport(sampleInput());
    for (const page of ['index.html', 'pipelines/app/index.html', 'runs/app/3.html']) {
      assert.ok(files.get(page)?.includes('waits for approval to deploy to production. To approve, run: <code class="copy">slipway approve app 3</code>'), page);
    }
    assert.ok(!files.get('runs/app/2.html')?.includes('slipway approve'));
  });

  it('shows a host that differs from its environment', () => {
    const input = sampleInput();
    const web1 = input.hosts[0]?.pipelines.app?.current;
    assert.ok(web1);
    web1.commit = 'fedcba9876543210fedcba9876543210fedcba98';
    const index = renderReport(input).get('index.html') ?? '';
    assert.match(index, /<code>fedcba9<\/code>.*<span class="differs">differs from staging \(<code>0123456<\/code>\)<\/span>/);
  });

  it('shows each step log with its colours, and says when only the tail is shown', () => {
    const files = renderReport(sampleInput());
    assert.match(files.get('runs/app/2.html') ?? '', /<pre>&gt; npm test\n<span class="a-f2">ok<\/span> 12 tests<\/pre>/);
    const failed = files.get('runs/app/1.html') ?? '';
    assert.match(failed, /The first 97.6 KB are not shown; the whole log is <span class="mono">logs\/app\/1\/test-1.log<\/span> in the state folder.<\/p>\n<pre>tail of the log\nnot ok 3<\/pre>/);
    assert.match(failed, /<details class="log" id="log-test-1" open>/);
  });

  const payloads = [
    { raw: '<script>alert(1)</script>', escaped: '&lt;script&gt;alert(1)&lt;/script&gt;' },
    { raw: '"onmouseover=alert(1)', escaped: '&quot;onmouseover=alert(1)' },
    { raw: "x' onfocus='alert(2)", escaped: 'x&#39; onfocus=&#39;alert(2)' },
  ];
  for (const { raw, escaped } of payloads) {
    it(`escapes ${raw} wherever repo or host data appears`, () => {
      const run = deployedRun({
        branch: `main${raw}`,
        error: `run error ${raw}`,
        commit: { id: '0123456789abcdef0123456789abcdef01234567', message: `subject ${raw}\n\nbody ${raw}`, author: { name: `Eve ${raw}`, email: `eve${raw}@x` }, time: '2024-05-01T10:00:00.000Z' },
      });
      const step = run.stages[0]?.steps[0];
      assert.ok(step);
      step.name = `npm ${raw}`;
      step.error = `step error ${raw}`;
      step.id = `step${raw}`;
      const input = sampleInput({ logs: new Map([[`app/2/step${raw}`, { text: `line ${raw}\n`, truncated: false, size: 10 }]]) });
      const p = input.pipelines[0];
      assert.ok(p);
      p.runs = [run];
      p.branch = `main${raw}`;
      p.repo = `https://git.example.com/${raw}`;
      p.environments.push({ name: `env${raw}`, hosts: [`host${raw}`], approval: 'auto' });
      const files = renderReport(input);
      const out = allOutput(files);
      assert.ok(!out.includes(raw), `raw ${raw} appears`);
      // status.json is JSON (strings stay whole) but never carries a raw < > or &.
      assert.doesNotMatch(files.get('status.json') ?? '', /[<>&]/);
      const page = files.get('runs/app/2.html') ?? '';
      for (const where of [`main${escaped}`, `subject ${escaped}`, `body ${escaped}`, `Eve ${escaped}`, `line ${escaped}`, `step error ${escaped}`, `run error ${escaped}`, `npm ${escaped}`]) {
        assert.ok(page.includes(where), `run page lacks ${where}`);
      }
      assert.ok(files.get('index.html')?.includes(`host${escaped}`));
      assertLinksResolve(files);
    });
  }

  it('masks every secret everywhere, even ones with HTML in them', () => {
    const secrets = ['hunter2-SECRET', 'p&ss<w>rd'];
    const input = sampleInput({ secrets, title: 'deploys hunter2-SECRET' });
    const p = input.pipelines[0];
    assert.ok(p);
    p.repo = 'https://bot:hunter2-SECRET@git.example.com/acme/app.git';
    for (const s of secrets) {
      const run = deployedRun({ number: 5, branch: `b-${s}`, error: `e ${s}`, commit: { id: 'abcdef0', message: `m ${s}`, author: { name: `a ${s}`, email: s }, time: '2024-05-01T10:00:00.000Z' } });
      const step = run.stages[0]?.steps[0];
      assert.ok(step);
      step.error = `token ${s} rejected`;
      input.logs.set('app/5/test-1', { text: `using ${s}\n`, truncated: false, size: 20 });
      p.runs = [run];
      const out = allOutput(renderReport(input));
      assert.ok(!out.includes(s) && !out.includes(escapeHtml(s)), `secret ${s} leaked`);
      assert.ok(out.includes('token *** rejected') && out.includes('using ***') && out.includes('m ***'));
    }
    const files = renderReport(input);
    assert.ok(files.get('pipelines/app/index.html')?.includes('https://***@git.example.com/acme/app.git'));
    const status = files.get('status.json') ?? '';
    for (const s of secrets) assert.ok(!status.includes(s) && !status.includes(JSON.stringify(s).slice(1, -1)), `secret ${s} in status.json`);
  });

  it('renders an empty state', () => {
    const files = renderReport({ title: 'Nothing', generatedAt: NOW, pipelines: [], hosts: [], logs: new Map(), secrets: [] });
    assert.deepEqual([...files.keys()].sort(), ['app.css', 'app.js', 'favicon.svg', 'feed.xml', 'index.html', 'status.json']);
    assert.match(files.get('index.html') ?? '', /No pipelines are configured/);
  });

  it('renders a pipeline with no runs and nothing deployed', () => {
    const input: ReportInput = sampleInput({ hosts: [] });
    const p = input.pipelines[0];
    assert.ok(p);
    p.runs = [];
    p.state = { version: 1, pipeline: 'app', nextRunNumber: 1, environments: {} };
    const files = renderReport(input);
    assert.match(files.get('index.html') ?? '', /no runs yet<\/span><\/td><td[^>]*><\/td><td class="msg"[^>]*><span class="muted">first poll runs the head of <code>main<\/code>/);
    assert.match(files.get('pipelines/app/index.html') ?? '', /No runs yet/);
    assert.match(files.get('hosts/web1.html') ?? '', /Nothing deployed here yet/);
    assertLinksResolve(files);
  });

  it('keeps unicode intact', () => {
    const message = 'Ünïcødé ✓ 日本語 🚀 — «quotes»';
    const run = sampleRun({ commit: { id: 'abcdef0', message, author: { name: 'Zoë Ñandú', email: 'z@x' }, time: '2024-05-01T10:00:00.000Z' } });
    const input = sampleInput();
    const p = input.pipelines[0];
    assert.ok(p);
    p.runs = [run];
    const files = renderReport(input);
    assert.ok(files.get('runs/app/1.html')?.includes(`<pre class="message">${message}</pre>`));
    assert.ok(files.get('index.html')?.includes('Zoë Ñandú'));
    assert.ok(files.get('index.html')?.includes('<meta charset="utf-8">'));
  });

  it('gives odd host names a safe file name that links still reach', () => {
    const input = sampleInput();
    input.pipelines[0]?.environments.push({ name: 'x', hosts: ['../etc/passwd', '.hidden', 'a b%c'], approval: 'auto' });
    const files = renderReport(input);
    for (const key of files.keys()) assert.ok(!key.split('/').some((s) => s === '..' || s.startsWith('.')), key);
    assert.ok(files.has('hosts/a b%c.html'));
    assertLinksResolve(files);
  });

  it('is a pure function of its input', () => {
    assert.deepEqual(renderReport(sampleInput()), renderReport(sampleInput()));
    assert.ok(waitingRun().stages.some((s) => s.status === 'waiting'));
  });
});
