// The daemon's HTTP server under a GET storm while runs rewrite the report: 16 clients (half on
// keep-alive connections, half on a fresh connection per request) fetch every page the report
// links to, plus pages that do not exist, while 6 runs change the state. The daemon lives, and
// every response is complete (as long as its content-length says) or a 404. Then the approval
// rule through the daemon: approving a waiting run older than what the environment runs is
// refused, exactly as `slipway approve` refuses it in-process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, freePort } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, type Daemon } from './daemon-process.ts';

let server: GitServer;
let repo: TestRepo;
let work: string;
let configDir: string;
let stateDir: string;
let port: number;
let daemon: Daemon;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-storm-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'r0' });
  port = await freePort();
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  // A manual gate first: runs test and wait, so no host is needed and every run rewrites pages.
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nserver: { listen: 127.0.0.1:${port} }\n`,
    'hosts.yaml': 'web1: { address: 127.0.0.1, port: 9, user: nobody }\n',
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: /srv/app }\nenvironments: [{ name: production, hosts: [web1], approval: manual }]\n`,
  });
  daemon = startDaemon(configDir);
  await daemon.waitLog(/slipway run: 1 pipeline.*http:\/\/127\.0\.0\.1/, 'the daemon and its server up');
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Got {
  status: number;
  declared?: number;
  bytes: number;
  body: string;
  error?: string;
}

function get(path: string, agent: Agent | false): Promise<Got> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
        resolve({ status: res.statusCode ?? 0, ...(declared !== undefined ? { declared } : {}), bytes: body.length, body: body.toString() });
      });
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, bytes: 0, body: '', error: e.message }));
    });
    req.on('error', (e) => resolve({ status: 0, bytes: 0, body: '', error: e.message }));
    req.end();
  });
}

test('a GET storm of 16 clients while 6 runs rewrite the report: the daemon lives, every answer complete or 404', { timeout: 180_000 }, async () => {
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).some((r) => r.status === 'waiting'), { timeoutMs: 60_000, what: 'the first run waiting' });
  let stop = false;
  const bad: string[] = [];
  let answers = 0;
  const paths = new Set<string>(['/', '/index.html', '/no-such-page.html', '/runs/app/999.html']);
  const client = async (i: number): Promise<void> => {
    const agent = i % 2 === 0 ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    try {
      while (!stop) {
        for (const path of [...paths]) {
          const r = await get(path, agent);
          answers++;
          if (r.error || (r.status !== 200 && r.status !== 404) || (r.declared !== undefined && r.declared !== r.bytes)) {
            bad.push(`${path}: ${r.status} ${r.error ?? ''} declared ${r.declared} got ${r.bytes}`);
          }
          if (r.status === 200 && path.endsWith('.html') || path === '/') {
            // Follow the report's own links, so pages that come and go are fetched too.
            for (const m of r.body.matchAll(/href="([^"#?]+\.html)"/g)) {
              const href = m[1]!;
              if (!href.startsWith('http')) paths.add(new URL(href, `http://x${path === '/' ? '/index.html' : path}`).pathname);
            }
          }
        }
      }
    } finally {
      if (agent) agent.destroy();
    }
  };
  const clients = Array.from({ length: 16 }, (_, i) => client(i));
  for (let n = 1; n <= 6; n++) {
    const before = (await readRunFiles(stateDir, 'app')).length;
    await repo.commit({ CHANGELOG: `r${n}\n` }, `r${n}`);
    await waitFor(async () => (await readRunFiles(stateDir, 'app')).length > before && (await readRunFiles(stateDir, 'app')).every((r) => r.status !== 'running' && r.status !== 'queued'), {
      timeoutMs: 60_000,
      what: `run ${n} of 6 ended`,
    });
  }
  stop = true;
  await Promise.all(clients);
  assert.equal(daemon.child.exitCode, null, `the daemon lives; log:\n${daemon.log().slice(-2000)}`);
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} bad answers of ${answers}`);
  assert.ok(answers > 200, `the storm was a storm (${answers} answers)`);
  assert.ok(paths.size > 6, `pages followed: ${[...paths].join(' ')}`);
  const health = await get('/healthz', false);
  assert.equal(health.status, 200);
  // Of the runs waiting at the one gate, only the newest still waits.
  const runs = await readRunFiles(stateDir, 'app');
  assert.equal(runs.filter((r) => r.status === 'waiting').length, 1, JSON.stringify(runs.map((r) => [r.number, r.status])));
  assert.match(runs.find((r) => r.status === 'superseded')?.error ?? '', /superseded while waiting: the newer run #\d+ waits for production/);
});

test('the daemon refuses to approve a waiting run older than what the environment runs, as the CLI does', async () => {
  const waiting = (await readRunFiles(stateDir, 'app')).find((r) => r.status === 'waiting')!;
  // What a newer deploy to production (here: run #99) leaves in the state.
  const file = join(stateDir, 'pipelines', 'app.json');
  const state = JSON.parse(await readFile(file, 'utf8'));
  state.environments.production = { commit: 'f'.repeat(40), release: '20990101000000-fffffff', deployedAt: new Date().toISOString(), run: 99 };
  await writeFile(file, JSON.stringify(state));
  const r = await runSlipway(['approve', 'app', String(waiting.number), '--config', configDir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /app: approval of #\d+ handed to the running daemon \(pid \d+\)/);
  assert.match(r.stderr, new RegExp(`production already runs fffffff from the newer run #99; approving #${waiting.number} would take it backwards`));
  assert.match(daemon.log(), new RegExp(`app #${waiting.number}: approval by \\S+ refused: production already runs fffffff`));
  assert.equal((await readRunFiles(stateDir, 'app')).find((x) => x.number === waiting.number)?.status, 'waiting', 'the run still waits');
  // A request in the inbox is gone once answered; nothing is left for a later start to act on.
  const inbox = await import('node:fs/promises').then((fs) => fs.readdir(join(stateDir, 'inbox')).catch(() => [] as string[]));
  assert.deepEqual(inbox.filter((n) => n.endsWith('.json')), []);
  // Cancel through the daemon: the waiting run ends cancelled.
  const c = await runSlipway(['cancel', 'app', String(waiting.number), '--config', configDir]);
  assert.equal(c.code, 0, c.stdout + c.stderr);
  assert.match(c.stdout, new RegExp(`app #${waiting.number}: cancelled \\(cancelled by \\S+\\)`));
  const again = await runSlipway(['cancel', 'app', String(waiting.number), '--config', configDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has already ended \(cancelled\); nothing to cancel/);
  // Back to the state as the daemon wrote it, for the next test.
  delete state.environments.production;
  await writeFile(file, JSON.stringify(state));
});

test('inbox requests outlive a stop of the daemon; one older than inboxTtl is dropped, never acted on', async () => {
  assert.equal(await daemon.stop('SIGTERM'), 0);
  const before = (await readRunFiles(stateDir, 'app')).length;
  const inbox = join(stateDir, 'inbox');
  const write = async (createdAt: Date, body: object): Promise<void> => {
    const id = randomUUID();
    await writeFile(join(inbox, `${createdAt.getTime()}-${id}.json`), JSON.stringify({ version: 1, id, by: 'ops@test', createdAt: createdAt.toISOString(), ...body }));
  };
  // Written while no daemon runs: a fresh trigger, and an approval from two hours ago.
  await write(new Date(), { kind: 'trigger', pipeline: 'app', commit: repo.head });
  const waiting = (await readRunFiles(stateDir, 'app')).at(-1)!;
  await write(new Date(Date.now() - 2 * 3_600_000), { kind: 'approve', pipeline: 'app', run: waiting.number });
  daemon = startDaemon(configDir);
  await daemon.waitLog(/inbox: approve app by ops@test written \S+ expired \(older than inboxTtl 1h\); dropped/, 'the old approval dropped');
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).some((r) => r.number > before && r.trigger === 'trigger' && r.status !== 'running' && r.status !== 'queued'), { timeoutMs: 60_000, what: 'the trigger carried out after the restart' });
  const runs = await readRunFiles(stateDir, 'app');
  assert.equal(runs.at(-1)!.trigger, 'trigger');
  assert.equal(runs.at(-1)!.status, 'waiting', JSON.stringify(runs.at(-1)));
  await waitFor(async () => (await readdir(inbox)).filter((n) => n.endsWith('.json')).length === 0, { timeoutMs: 10_000, what: 'the inbox emptied' });
});
