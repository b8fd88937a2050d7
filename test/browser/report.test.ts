// The report in a real headless Chromium, from a state made by real runs (git over smart HTTP,
// the CLI as a child process, OpenSSH test hosts): opened from disk and over HTTP, at a desktop
// and a phone size. Checks what a person sees, that nothing failed to load, and that an evil
// commit message opens no dialog. Screenshots go to test-artifacts/report/.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { appFiles, freePort, stopApp } from '../helpers/fixture-app.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { waitFor } from '../helpers/wait.ts';
import { chromiumMissing, launchChromium, type Browser } from './chromium.ts';
import { serveFolder, type StaticServer } from './static-server.ts';

const EVIL = '<img src=x onerror=alert(1)> deploy "quotes" & <script>alert(2)</script>';
const ARTIFACTS = new URL('../../test-artifacts/report/', import.meta.url).pathname;
const SIZES = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];

const skip = chromiumMissing();
let server: GitServer;
let repo: TestRepo;
let web1: TestHost;
let web2: TestHost;
let work: string;
let www: string;
let http: StaticServer;
let ports: { web1: number; web2: number };
const appPath = (h: TestHost): string => join(h.root, 'app');

describe('the report in Chromium', { skip }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-browser-'));
    server = await startGitServer();
    repo = await createRepo(server, 'app', appFiles, { message: `${EVIL}\n\nbody: <b>bold?</b> ${EVIL}` });
    const keys = await createTestKeys();
    web1 = await startTestHost(keys, { name: 'web1' });
    web2 = await startTestHost(keys, { name: 'web2' });
    ports = { web1: await freePort(), web2: await freePort() };
    const configDir = join(work, 'config');
    await writeConfigFolder(configDir, {
      'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\nreport: { title: "browser deploys" }\n`,
      'hosts.yaml': `web1: { address: 127.0.0.1, port: ${web1.port}, user: ${web1.user}, env: { PORT: "${ports.web1}" } }\nweb2: { address: 127.0.0.1, port: ${web2.port}, user: ${web2.user}, env: { PORT: "${ports.web2}" } }\n`,
      'pipelines/app.yaml': `repo: ${repo.url}
branch: main
test: [./test.sh]
timeout: 2m
deploy:
  path: /unused
  restart: ./restart.sh
  healthCheck: { command: node health.js, timeout: 20s, interval: 200ms }
environments:
  - { name: staging, hosts: [web1], deploy: { path: ${appPath(web1)} } }
  - { name: production, hosts: [web2], approval: manual, deploy: { path: ${appPath(web2)} } }
`,
    });
    // Run 1: the evil message, deployed to staging, waiting at production's gate.
    const first = await runSlipway(['once', '--config', configDir]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    // Run 2: tests fail, with colours, as test tools print them.
    await repo.commit({ 'test.sh': { mode: 0o755, content: `#!/bin/sh\nfor i in $(seq 1 80); do echo "ok $i"; done\nprintf '\\033[1;31mFAIL\\033[0m expected <b>2</b> got 3\\n'\nexit 3\n` } }, 'break the tests');
    const second = await runSlipway(['once', '--config', configDir]);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    // web1's current switched by hand to a release of another commit: `slipway observe` records
    // the drift and rewrites the report, which must show it first.
    const fake = join(appPath(web1), 'releases', '20200101000000-bbbbbbb');
    await mkdir(fake, { recursive: true });
    await writeFile(join(fake, 'REVISION'), `${'b'.repeat(40)}\n`);
    await symlink('releases/20200101000000-bbbbbbb', join(appPath(web1), 'current.hand'));
    await rename(join(appPath(web1), 'current.hand'), join(appPath(web1), 'current'));
    const observed = await runSlipway(['observe', '--config', configDir]);
    assert.equal(observed.code, 1, observed.stdout + observed.stderr);
    www = join(work, 'state', 'www');
    http = await serveFolder(www);
    await mkdir(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await http?.close();
    if (web1) await stopApp(appPath(web1));
    if (web2) await stopApp(appPath(web2));
    await web1?.stop();
    await web2?.stop();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  interface Watched {
    page: Page;
    problems: string[];
    dialogs: string[];
  }

  /** A page that records every console error, page error, failed request and dialog. */
  async function watchedPage(browser: Browser): Promise<Watched> {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return { page, problems, dialogs };
  }

  const bases = (): Array<[string, (p: string) => string]> => [
    ['file', (p) => pathToFileURL(join(www, p)).href],
    ['http', (p) => `${http.url}/${p}`],
  ];

  const pages: Array<{ name: string; path: string; expect: RegExp[] }> = [
    { name: 'dashboard', path: 'index.html', expect: [/^Drift \(1 host not as git says\)\s+web1 in app staging: out-of-sync since [\s\S]*Waiting for approval/m, /current is 20200101000000-bbbbbbb \(bbbbbbb\), git says/, /browser deploys/, /Waiting for approval/, /slipway approve app 1/, /What runs where/, /staging/, /healthy/, /<img src=x onerror=alert\(1\)> deploy "quotes"/, /failed/] },
    { name: 'run-failed', path: 'runs/app/2.html', expect: [/app #2/, /break the tests/, /FAIL expected <b>2<\/b> got 3/, /Show \d+ earlier lines/, /Timeline/] },
    { name: 'run-evil', path: 'runs/app/1.html', expect: [/app #1/, /body: <b>bold\?<\/b>/, /<script>alert\(2\)<\/script>/, /slipway approve app 1/, /deploy:staging/] },
    { name: 'host', path: 'hosts/web1.html', expect: [/host web1/, /Current/, /Drift history/, /out-of-sync/, /Deploy history/, /staging/] },
    { name: 'pipeline', path: 'pipelines/app/index.html', expect: [/0%\nsuccess over the last 1/, /2\nruns/, /failed \(1\)/, /waiting \(1\)/, /Delivery \(DORA\)/] },
    { name: 'pipeline-failed', path: 'pipelines/app/failed.html', expect: [/Runs: failed/, /break the tests/] },
  ];

  for (const size of SIZES) {
    it(`every page opens from disk and over HTTP at ${size.width}×${size.height}, with no error and no dialog`, async () => {
      const browser = await launchChromium({ viewport: size });
      try {
        for (const [scheme, url] of bases()) {
          for (const spec of pages) {
            const w = await watchedPage(browser);
            await w.page.goto(url(spec.path), { waitUntil: 'load' });
            // app.js ran (allowed by the CSP, from file:// too): it adds the auto-refresh switch.
            await w.page.waitForSelector('#auto-refresh', { timeout: 10_000 });
            const visible = await w.page.innerText('body');
            for (const re of spec.expect) assert.match(visible, re, `${scheme} ${spec.path}: ${re}`);
            // Times became relative ("just now", "2 minutes ago"); the exact time stays in datetime.
            assert.match(visible, /just now|minutes? ago/, `${scheme} ${spec.path}`);
            assert.equal(await w.page.locator('img[src="x"], script:not([src])').count(), 0, 'no injected element');
            assert.deepEqual(w.dialogs, [], `${scheme} ${spec.path}: a dialog opened`);
            assert.deepEqual(w.problems, [], `${scheme} ${spec.path}`);
            // A phone never scrolls sideways: tables reflow into rows, long names wrap.
            const scrollWidth = await w.page.evaluate<number>('document.scrollingElement.scrollWidth');
            assert.ok(scrollWidth <= size.width, `${scheme} ${spec.path}: ${scrollWidth} px wide at ${size.width} px`);
            if (scheme === 'http') await w.page.screenshot({ path: join(ARTIFACTS, `${spec.name}-${size.width}x${size.height}.png`), fullPage: true });
            await w.page.close();
          }
        }
      } finally {
        await browser.close();
      }
    });
  }

  it('renders ANSI colours, badges load, feed and status.json parse, dark mode applies', async () => {
    const browser = await launchChromium({ colorScheme: 'dark' });
    try {
      const w = await watchedPage(browser);
      await w.page.goto(`${http.url}/runs/app/2.html`);
      const fail = w.page.locator('span.a-f1.a-bold', { hasText: 'FAIL' });
      assert.equal(await fail.count(), 1);
      // Browser-side code as strings: this project's TypeScript has no DOM types.
      const colour = await w.page.evaluate<string>(`getComputedStyle(document.querySelector('span.a-f1.a-bold')).color`);
      assert.notEqual(colour, await w.page.evaluate<string>('getComputedStyle(document.body).color'), 'FAIL is coloured');
      assert.equal(await w.page.evaluate<string>('getComputedStyle(document.body).backgroundColor'), 'rgb(13, 17, 23)');
      await w.page.screenshot({ path: join(ARTIFACTS, 'run-failed-dark-1280x900.png'), fullPage: true });
      await w.page.goto(`${http.url}/pipelines/app/index.html`);
      const widths = await w.page.evaluate<number[]>(`[...document.querySelectorAll('img.badge')].map((i) => i.naturalWidth)`);
      assert.equal(widths.length, 3);
      assert.ok(widths.every((x) => x > 0), `badges loaded: ${widths.join(',')}`);
      const feed = await readFile(join(www, 'feed.xml'), 'utf8');
      const parsed = await w.page.evaluate<{ error: string | null; titles: string[] }>(`(() => {
        const doc = new DOMParser().parseFromString(${JSON.stringify(feed)}, 'application/xml');
        return { error: doc.querySelector('parsererror')?.textContent ?? null, titles: [...doc.querySelectorAll('entry > title')].map((t) => t.textContent) };
      })()`);
      assert.equal(parsed.error, null);
      assert.deepEqual(parsed.titles, ['app #2 failed: break the tests']);
      // The page itself may not fetch (the CSP's default-src 'none' covers connect-src): a script reads it.
      const status = (await (await fetch(`${http.url}/status.json`)).json()) as { pipelines: Array<{ waiting: unknown[] }> };
      assert.deepEqual(status.pipelines[0]?.waiting, [{ run: 1, environment: 'production', command: 'slipway approve app 1' }]);
      assert.deepEqual(w.problems, []);
    } finally {
      await browser.close();
    }
  });

  it('auto-refresh reloads the page and keeps the scroll position and open logs', async () => {
    const browser = await launchChromium({ viewport: SIZES[1]! });
    try {
      for (const [scheme, url] of bases()) {
        const w = await watchedPage(browser);
        // ?refresh=4: every four seconds, instead of the 30 s a person gets.
        await w.page.goto(`${url('runs/app/2.html')}?refresh=4`);
        await w.page.waitForSelector('#auto-refresh');
        assert.equal(await w.page.isChecked('#auto-refresh'), true);
        await w.page.evaluate(`document.querySelector('details.log-head').open = true`);
        await w.page.evaluate('window.scrollTo(0, 900)');
        const y = await w.page.evaluate<number>('window.scrollY');
        assert.ok(y > 500, `scrolled to ${y}`);
        await w.page.evaluate('window.marker = 1');
        await w.page.waitForEvent('load', { timeout: 20_000 });
        // A new document (no marker), scrolled back to y, the log still open.
        const state = async (): Promise<{ y: number; marker: unknown; open: boolean } | undefined> =>
          w.page
            .evaluate<{ y: number; marker: unknown; open: boolean }>(`({ y: window.scrollY, marker: window.marker, open: document.querySelector('details.log-head')?.open === true })`)
            .catch(() => undefined); // the next reload may come mid-question
        let seen: Awaited<ReturnType<typeof state>>;
        await waitFor(async () => (seen = await state())?.y === y, { timeoutMs: 3_000, what: `${scheme}: scroll restored to ${y}` }).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(seen)}`));
        assert.equal(seen?.marker, undefined);
        assert.equal(seen?.open, true);
        assert.deepEqual(w.problems, []);
        await w.page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
