import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ansiToHtmlLines } from '../../src/report/ansi.ts';
import { escapeHtml } from '../../src/report/format.ts';
import { commitUrl } from '../../src/report/forge.ts';
import { PAGE_SIZE } from '../../src/report/pipeline-page.ts';
import { renderReport } from '../../src/report/render.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { NOW, deployedRun, sampleInput } from './sample.ts';
import { assertWellFormedXml } from './xml-check.ts';

const text = (s: string): string => escapeHtml(s);

describe('ANSI colours in logs', () => {
  const cases: Array<[string, string, string[]]> = [
    ['plain text is escaped', '<b>&</b>\n', ['&lt;b&gt;&amp;&lt;/b&gt;']],
    ['a colour and a reset', '\x1b[31mred\x1b[0m plain\n', ['<span class="a-f1">red</span> plain']],
    ['bold bright green, then default colour keeps bold', '\x1b[1;92mok\x1b[39m still bold\x1b[0m', ['<span class="a-f10 a-bold">ok</span><span class="a-bold"> still bold</span>']],
    ['a colour carries over a line break (spans closed per line)', '\x1b[33mone\ntwo\x1b[m three', ['<span class="a-f3">one</span>', '<span class="a-f3">two</span> three']],
    ['256 colours map to the nearest basic one', '\x1b[38;5;196mx\x1b[0m \x1b[38;5;250mgrey', ['<span class="a-f1">x</span> <span class="a-f7">grey</span>']],
    ['true colour maps too, background as well', '\x1b[38;2;0;0;238;48;2;205;49;49mx', ['<span class="a-f4 a-b1">x</span>']],
    ['cursor moves and OSC titles are dropped', '\x1b[2K\x1b[1Gline\x1b]0;title\x07 end', ['line end']],
    ['a progress bar keeps what its line said last', '10%\r50%\r100%\ndone', ['100%', 'done']],
    ['control bytes vanish; CRLF is a line break', 'a\x00b\x07c\r\nd', ['abc', 'd']],
    ['an escape sequence cut off at the end loses only its ESC', 'x\x1b[3', ['x[3']],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(ansiToHtmlLines(input, text), expected));
  }

  it('HTML inside a coloured span is still escaped', () => {
    assert.deepEqual(ansiToHtmlLines('\x1b[31m<img src=x onerror=alert(1)>\x1b[0m', text), ['<span class="a-f1">&lt;img src=x onerror=alert(1)&gt;</span>']);
  });
});

describe('commit links to forges', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  const cases: Array<[string, string | undefined]> = [
    ['https://github.com/acme/app.git', `https://github.com/acme/app/commit/${sha}`],
    ['https://x-access-token:SECRET@github.com/acme/app', `https://github.com/acme/app/commit/${sha}`],
    ['git@github.com:acme/app.git', `https://github.com/acme/app/commit/${sha}`],
    ['https://gitlab.com/group/sub/app.git', `https://gitlab.com/group/sub/app/-/commit/${sha}`],
    ['https://codeberg.org/acme/app.git', `https://codeberg.org/acme/app/commit/${sha}`],
    ['https://gitea.example.com/acme/app', `https://gitea.example.com/acme/app/commit/${sha}`],
    ['https://bitbucket.org/acme/app.git', `https://bitbucket.org/acme/app/commits/${sha}`],
    ['https://git.example.com/acme/app.git', undefined],
    ['http://127.0.0.1:8080/app.git', undefined],
    ['https://github.com/acme', undefined],
    ['javascript:alert(1)//github.com/a/b', undefined],
  ];
  for (const [repo, url] of cases) it(repo, () => assert.equal(commitUrl(repo, sha), url));

  it('the run page links the commit and never shows the credential', () => {
    const input = sampleInput();
    input.pipelines[0]!.repo = 'https://bot:SECRET@github.com/acme/app.git';
    const page = renderReport(input).get('runs/app/2.html') ?? '';
    assert.ok(page.includes(`<a href="https://github.com/acme/app/commit/0123456789abcdef0123456789abcdef01234567" rel="noreferrer noopener">view on the forge</a>`));
    assert.ok(!page.includes('SECRET'));
  });
});

function manyRuns(n: number, status: (i: number) => RunRecord['status'] = () => 'deployed'): RunRecord[] {
  return Array.from({ length: n }, (_, i) => deployedRun({ number: i + 1, status: status(i + 1) })).reverse();
}

describe('pipeline history pages', () => {
  const pages = (n: number): string[] =>
    [...renderReport(sampleInput({ pipelines: [{ ...sampleInput().pipelines[0]!, runs: manyRuns(n) }] })).keys()].filter((k) => k.startsWith('pipelines/')).sort();
  for (const [runs, expected] of [
    [0, ['pipelines/app/index.html']],
    [PAGE_SIZE, ['pipelines/app/deployed.html', 'pipelines/app/index.html']],
    [PAGE_SIZE + 1, ['pipelines/app/deployed-page-2.html', 'pipelines/app/deployed.html', 'pipelines/app/index.html', 'pipelines/app/page-2.html']],
    [2 * PAGE_SIZE, ['pipelines/app/deployed-page-2.html', 'pipelines/app/deployed.html', 'pipelines/app/index.html', 'pipelines/app/page-2.html']],
  ] as Array<[number, string[]]>) {
    it(`${runs} runs make ${expected.length} pages`, () => assert.deepEqual(pages(runs), expected));
  }

  it('newest first, a fixed page size, pager links both ways, a status filter, success rate and median', () => {
    const input = sampleInput();
    input.pipelines[0]!.runs = manyRuns(2 * PAGE_SIZE + 3, (i) => (i % 4 === 0 ? 'failed' : 'deployed'));
    const files = renderReport(input);
    const first = files.get('pipelines/app/index.html') ?? '';
    const runsOn = (html: string): number[] => [...html.matchAll(/<a href="\.\.\/\.\.\/runs\/app\/(\d+)\.html">#\d+<\/a>/g)].map((m) => Number(m[1])).filter((n, i, a) => a.indexOf(n) === i);
    assert.deepEqual(runsOn(first).slice(-PAGE_SIZE), Array.from({ length: PAGE_SIZE }, (_, i) => 2 * PAGE_SIZE + 3 - i));
    assert.match(first, /1–25 of 53, newest first/);
    assert.match(first, /<a href="\.\.\/\.\.\/pipelines\/app\/page-2.html" rel="next">older →<\/a>/);
    const third = files.get('pipelines/app/page-3.html') ?? '';
    assert.match(third, /51–53 of 53/);
    assert.match(third, /<a href="\.\.\/\.\.\/pipelines\/app\/page-2.html" rel="prev">← newer<\/a>/);
    assert.doesNotMatch(third, /rel="next"/);
    const failed = files.get('pipelines/app/failed.html') ?? '';
    assert.match(failed, /Runs: failed <span class="muted">1–13 of 13/);
    assert.match(failed, /<a href="\.\.\/\.\.\/pipelines\/app\/failed.html" aria-current="page">failed \(13\)<\/a>/);
    // The last 50 ended runs: 53 → 50 counted, 13 of them failed.
    assert.match(first, /<b>74%<\/b>success over the last 50/);
    assert.match(first, /<b>3 min 20 s<\/b>median duration/);
  });
});

describe('badges, feed and status.json', () => {
  it('badges are well-formed SVG with the status, escaped', () => {
    const input = sampleInput();
    input.pipelines[0]!.name = 'app';
    const files = renderReport(input);
    const badge = files.get('badges/app.svg') ?? '';
    assertWellFormedXml(badge, 'badges/app.svg');
    assert.match(badge, /aria-label="app: passing"/);
    assert.match(badge, /fill="#4c1"/);
    const staging = files.get('badges/app/staging.svg') ?? '';
    assertWellFormedXml(staging, 'staging badge');
    assert.match(staging, /<title>app staging: 0123456<\/title>/);
    assert.match(files.get('badges/app/production.svg') ?? '', /not deployed/);
    input.pipelines[0]!.runs.unshift(deployedRun({ number: 9, status: 'failed' }));
    input.pipelines[0]!.environments.push({ name: 'a<b>&"c', hosts: [], approval: 'auto' });
    const again = renderReport(input);
    assert.match(again.get('badges/app.svg') ?? '', /app: failing/);
    const odd = [...again.entries()].find(([k]) => k.startsWith('badges/app/a<b>'))?.[1] ?? '';
    assertWellFormedXml(odd, 'odd env badge');
  });

  it('the Atom feed lists failures and deploys, newest first, and is well-formed with hostile text', () => {
    const input = sampleInput();
    const evil = deployedRun({ number: 7, status: 'failed', finishedAt: '2024-05-01T11:00:00.000Z', error: 'boom <script>&', commit: { id: 'abcdef0123', message: 'evil <img src=x onerror=alert(1)> & \x01 ]]>', author: { name: 'Eve & <Co>', email: 'e@x' }, time: '2024-05-01T10:00:00.000Z' } });
    input.pipelines[0]!.runs.unshift(evil);
    const feed = renderReport(input).get('feed.xml') ?? '';
    assertWellFormedXml(feed, 'feed.xml');
    assert.ok(feed.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'));
    const titles = [...feed.matchAll(/<entry>\n<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    assert.deepEqual(titles, ['app #7 failed: evil &lt;img src=x onerror=alert(1)&gt; &amp;  ]]&gt;', 'app #2 deployed to staging: Fix the thing', 'app #1 failed: Fix the thing']);
    assert.match(feed, /<updated>2024-05-01T11:00:00.000Z<\/updated>/);
    assert.match(feed, /<link rel="alternate" type="text\/html" href="runs\/app\/7.html"\/>/);
    assert.match(feed, /<author><name>Eve &amp; &lt;Co&gt;<\/name><\/author>/);
    assert.match(feed, /<id>urn:slipway:run:app:7:failed<\/id>/);
  });

  it('status.json: the dashboard as data', () => {
    const status = JSON.parse(renderReport(sampleInput()).get('status.json') ?? '');
    assert.equal(status.version, 1);
    assert.equal(status.generatedAt, NOW.toISOString());
    assert.equal(status.title, 'ACME deploys');
    assert.deepEqual(status.hosts, [{ name: 'web1', page: 'hosts/web1.html' }, { name: 'web2', page: 'hosts/web2.html' }]);
    const [app] = status.pipelines;
    assert.equal(app.name, 'app');
    assert.equal(app.page, 'pipelines/app/index.html');
    assert.equal(app.runs, 3);
    assert.equal(app.lastRun.number, 3);
    assert.equal(app.lastRun.status, 'waiting');
    assert.equal(app.lastRun.page, 'runs/app/3.html');
    assert.equal(app.successRate, 0.5);
    assert.deepEqual(app.waiting, [{ run: 3, environment: 'production', command: 'slipway approve app 3' }]);
    assert.deepEqual(app.environments[0], {
      name: 'staging',
      approval: 'auto',
      commit: '0123456789abcdef0123456789abcdef01234567',
      deployedAt: '2024-05-01T10:03:00.000Z',
      run: 2,
      badge: 'badges/app/staging.svg',
      hosts: [{ host: 'web1', commit: '0123456789abcdef0123456789abcdef01234567', release: '20240501100100-0123456', since: '2024-05-01T10:03:00.000Z', lastDeploy: { run: 3, status: 'deployed' }, desired: 'matches', observed: null }],
    });
    assert.equal(app.environments[1].hosts[0].desired, 'none');
  });

  it("status.json: each host's last observation (sync, reasons, since, observedAt), of its own pipeline's environment only", () => {
    const input = sampleInput();
    input.pipelines[0]!.environments[1]!.path = '/srv/app';
    const sync = { pipeline: 'app', environment: 'production', sync: 'out-of-sync' as const, reasons: ['current is missing <x>'], since: '2024-05-01T11:00:00.000Z', observedAt: '2024-05-01T11:30:00.000Z', drifted: 1, history: [] };
    input.hosts.push({ version: 1, host: 'web2', pipelines: {}, sync: { '/srv/app': sync, '/srv/other': { ...sync, pipeline: 'other' } } });
    const json = renderReport(input).get('status.json') ?? '';
    assert.match(json, /current is missing \\u003cx\\u003e/);
    const [app] = JSON.parse(json).pipelines;
    assert.deepEqual(app.environments[1].hosts[0].observed, { sync: 'out-of-sync', reasons: ['current is missing <x>'], since: '2024-05-01T11:00:00.000Z', observedAt: '2024-05-01T11:30:00.000Z' });
    assert.equal(app.environments[0].hosts[0].observed, null);
  });
});

describe('long and huge logs', () => {
  it('a long log opens on its last 40 lines; the rest is one click away', () => {
    const input = sampleInput();
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`);
    input.logs.set('app/2/test-1', { text: `${lines.join('\n')}\n`, truncated: false, size: 5000 });
    const page = renderReport(input).get('runs/app/2.html') ?? '';
    assert.match(page, /<details class="log-head" id="log-test-1-head"><summary>Show 460 earlier lines<\/summary><pre>line 1\n/);
    assert.match(page, /line 460<\/pre><\/details>\n<pre>line 461\n[^]*line 500<\/pre>/);
    assert.match(page, /Log \(500 lines, 4.9 KB\)/);
  });

  it('a huge log: only the tail read is shown, and the page stays small', () => {
    const input = sampleInput();
    const tail = 'x'.repeat(100) + '\n';
    input.logs.set('app/2/test-1', { text: tail.repeat(640), truncated: true, size: 200 * 1024 * 1024 });
    const page = renderReport(input).get('runs/app/2.html') ?? '';
    assert.match(page, /The first 199.9 MB are not shown/);
    assert.ok(page.length < 200_000, `${page.length} bytes`);
  });
});
