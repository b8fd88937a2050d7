// A real slow run followed live, on real parts: the daemon (`slipway run`) with its HTTP server,
// git over smart HTTP, a test step that prints a line each time the test lets it. Chromium shows
// the log growing on the run page without a reload and the status turning final; `slipway logs
// -f` prints the lines as the step prints them and exits when the run ends; the failed step's
// tail reaches the notification and the run page. No SSH host is needed: the step fails, so the
// deploy (to an address nobody listens on) is never tried.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { freePort } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon, type Daemon } from '../daemon/daemon-process.ts';
import { chromiumMissing, launchChromium, type Browser } from '../browser/chromium.ts';
import { prometheusMissing, promtoolCheck, startPrometheus } from '../helpers/prometheus.ts';

const BIN = new URL('../../bin/slipway.js', import.meta.url).pathname;
const skip = chromiumMissing();

// Prints "tick N", then waits for the file goN in $TEST_GATE_DIR; at the end fails on purpose.
const SLOW_TEST = `#!/bin/sh
for i in 1 2 3; do
  echo "tick $i"
  while [ ! -e "$TEST_GATE_DIR/go$i" ]; do sleep 0.05; done
done
echo "expected 42, got 41"
exit 1
`;

let server: GitServer;
let repo: TestRepo;
let work: string;
let configDir: string;
let stateDir: string;
let gate: string;
let httpPort: number;
let daemon: Daemon;
let receiver: Server;
const received: Array<Record<string, unknown>> = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-live-'));
  gate = join(work, 'gate');
  await writeConfigFolder(gate, { '.keep': '' });
  server = await startGitServer();
  repo = await createRepo(server, 'app', { 'test.sh': { mode: 0o755, content: SLOW_TEST } }, { message: 'a slow test' });
  httpPort = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const rport = (receiver.address() as { port: number }).port;
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nsandbox: none\nreport: { url: "http://127.0.0.1:${httpPort}/" }\nserver: { listen: "127.0.0.1:${httpPort}" }\nnotify: [{ webhook: "http://127.0.0.1:${rport}/notify", on: [failure] }]\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: 9, user: deploy }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "0 0 1 1 *"\ntest: [./test.sh]\ndeploy: { path: /srv/app }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
  daemon = startDaemon(configDir, { env: { TEST_GATE_DIR: gate } });
});

after(async () => {
  for (const i of [1, 2, 3]) await writeFile(join(gate, `go${i}`), '').catch(() => undefined);
  await daemon?.stop('SIGKILL');
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const logFile = () => join(stateDir, 'logs', 'app', '1', 'test-1.log');
const logText = () => readFile(logFile(), 'utf8').catch(() => '');

test('a running run followed live: the page grows without a reload, logs -f streams and exits, the tail reaches the notification and the page', { skip }, async () => {
  await waitFor(async () => (await logText()).includes('tick 1'), { timeoutMs: 60_000, what: `the step printing tick 1; daemon log:\n${daemon.log()}` });
  const base = `http://127.0.0.1:${httpPort}`;
  // The live routes: the run's statuses, and the log from a byte offset (Range).
  const view = (await (await fetch(`${base}/live/runs/app/1.json`)).json()) as { status: string };
  assert.equal(view.status, 'running');
  const ranged = await fetch(`${base}/live/logs/app/1/test-1.log`, { headers: { range: 'bytes=2-' } });
  assert.equal(ranged.status, 206);
  assert.match(ranged.headers.get('content-range') ?? '', /^bytes 2-\d+\/\d+$/);
  assert.ok((await ranged.text()).endsWith('tick 1\n'));
  const past = await fetch(`${base}/live/logs/app/1/test-1.log`, { headers: { range: 'bytes=999999-' } });
  assert.equal(past.status, 416, 'nothing new yet: RFC 9110\'s answer');
  assert.match(past.headers.get('content-range') ?? '', /^bytes \*\/\d+$/);
  assert.equal((await fetch(`${base}/live/logs/app/1/test-1.log`, { headers: { range: 'bytes=0-5' } })).status, 416, 'only open-ended ranges');
  assert.equal((await fetch(`${base}/live/logs/app/1/..%2Fx.log`)).status, 404);
  assert.equal((await fetch(`${base}/live/logs/nope/1/test-1.log`)).status, 404);

  const follower = spawn(process.execPath, [BIN, 'logs', 'app', '1', 'test-1', '-f', '--config', configDir], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let followed = '';
  let followedErr = '';
  follower.stdout.on('data', (c: Buffer) => (followed += c.toString()));
  follower.stderr.on('data', (c: Buffer) => (followedErr += c.toString()));
  const followerExit = new Promise<number | null>((r) => follower.on('exit', (code) => r(code)));

  const browser: Browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${base}/runs/app/1.html`);
    await page.evaluate('window.__sameDocument = true');
    const pageText = () => page.evaluate<string>('document.querySelector("main").innerText');
    await waitFor(async () => /Live: this page follows the run/.test(await pageText()), { timeoutMs: 20_000, what: 'the live note' });
    await waitFor(() => followed.includes('tick 1'), { timeoutMs: 20_000, what: `logs -f printing tick 1 (${followedErr})` });

    await writeFile(join(gate, 'go1'), '');
    await waitFor(async () => (await pageText()).includes('tick 2'), { timeoutMs: 20_000, what: 'tick 2 on the page' });
    await waitFor(() => followed.includes('tick 2'), { timeoutMs: 20_000, what: 'logs -f printing tick 2' });
    assert.equal(follower.exitCode, null, 'logs -f is still following the running step');
    assert.equal(await page.evaluate('document.querySelector("#run-status .status").textContent'), 'running');
    const bar = (label: string) => page.evaluate<string | null>(`(() => { const s = [...document.querySelectorAll('.timeline svg')].find((x) => x.getAttribute('aria-label') === ${JSON.stringify(label)}); return s ? s.querySelector('rect').getAttribute('class') : null; })()`);
    assert.equal(await bar('./test.sh: running'), 'tl-running', 'the timeline shows the running step');

    await writeFile(join(gate, 'go2'), '');
    await writeFile(join(gate, 'go3'), '');
    // The page says the run ended once it has also read the last log bytes.
    await waitFor(async () => /The run has ended/.test(await pageText()), { timeoutMs: 30_000, what: 'the page seeing the run end' });
    assert.equal(await page.evaluate('document.querySelector("#run-status .status").textContent'), 'failed', 'the status turned final');
    const text = await pageText();
    assert.match(text, /tick 1\s+tick 2\s+tick 3\s+expected 42, got 41/);
    assert.match(text, /The run has ended: failed\./);
    assert.equal(await bar('./test.sh: failed'), 'tl-failed', 'the timeline follows the statuses');
    assert.equal(await bar('test: failed'), 'tl-failed');
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'no reload happened');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }

  assert.equal(await followerExit, 1, 'logs -f exits when the run ends, 1 for a failed run');
  // The log opens with the sandbox in force (none here: the step waits at a gate outside any sandbox).
  assert.equal(followed.replace(/^sandbox: none\nwarning: sandbox: none: .*\n/, ''), '$ ./test.sh\ntick 1\ntick 2\ntick 3\nexpected 42, got 41\n\nslipway: exited with code 1\n');
  assert.match(followedErr, /app #1: failed/);

  await waitFor(() => received.length > 0, { timeoutMs: 20_000, what: 'the failure notification' });
  const note = received[0] as { event: string; url: string; text: string; failedStep: { name: string; log: string; tail: string[] } };
  assert.equal(note.event, 'failure');
  assert.equal(note.url, `${base}/runs/app/1.html`, 'report.url + the run page');
  assert.equal(note.failedStep.name, './test.sh');
  assert.equal(note.failedStep.log, 'logs/app/1/test-1.log');
  assert.deepEqual(note.failedStep.tail.slice(-2), ['expected 42, got 41', 'slipway: exited with code 1']);
  assert.match(note.text, /```\n[^]*expected 42, got 41\nslipway: exited with code 1\n```$/);
  await waitFor(async () => (await readFile(join(stateDir, 'www', 'runs', 'app', '1.html'), 'utf8')).includes('id="failure"'), { timeoutMs: 20_000, what: 'the final run page' });
  const final = await readFile(join(stateDir, 'www', 'runs', 'app', '1.html'), 'utf8');
  assert.match(final, /<pre class="tail">[^<]*expected 42, got 41\nslipway: exited with code 1<\/pre>/);
  assert.doesNotMatch(final, /id="live"/, 'an ended run\'s page is not live');
});

test('/metrics: promtool accepts it, and a real Prometheus on loopback scrapes the daemon and answers queries', { skip: prometheusMissing() }, async () => {
  const base = `http://127.0.0.1:${httpPort}`;
  // A webhook without a secret configured: 401, counted.
  assert.equal((await fetch(`${base}/hooks/app`, { method: 'POST', body: '{}' })).status, 401);
  await waitFor(async () => /slipway_runs_total\{pipeline="app",status="failed"\} 1/.test(await (await fetch(`${base}/metrics`)).text()), { timeoutMs: 60_000, what: 'the failed run counted' });
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const body = await res.text();
  const check = await promtoolCheck(body);
  assert.equal(check.code, 0, `promtool check metrics:\n${check.output}\n${body}`);
  for (const line of [
    /^slipway_run_duration_seconds_count\{pipeline="app"\} 1$/m,
    /^slipway_stage_duration_seconds_bucket\{le="\+Inf",pipeline="app",stage="test"\} 1$/m,
    /^slipway_polls_total\{pipeline="app",result="ok"\} \d+$/m,
    /^slipway_last_successful_poll_age_seconds\{pipeline="app"\} [\d.]+$/m,
    /^slipway_queue_length 0$/m,
    /^slipway_webhooks_total\{verdict="unauthorized"\} 1$/m,
  ]) assert.match(body, line);
  const prom = await startPrometheus(`127.0.0.1:${httpPort}`);
  try {
    let result: Awaited<ReturnType<typeof prom.query>> = [];
    await waitFor(async () => (result = await prom.query('slipway_runs_total')).length > 0, { timeoutMs: 30_000, what: 'Prometheus having scraped slipway_runs_total' });
    assert.deepEqual(result.map((r) => [r.metric.pipeline, r.metric.status, r.metric.job, r.value[1]]), [['app', 'failed', 'slipway', '1']]);
    const up = await prom.query('up{job="slipway"}');
    assert.equal(up[0]?.value[1], '1', 'the scrape itself succeeded');
  } finally {
    await prom.stop();
  }
});
