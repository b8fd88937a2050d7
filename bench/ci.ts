// Issue 11's two measurements, each side by side with its reference in the same run:
// - the deploy stages of a 50 MB release to 10 hosts (one environment, batch 10) by artifact
//   (packed once, streamed over the pooled SSH connection, sha256 checked on the host) against
//   pull mode (each host fetches the commit from the git server itself), and against plain
//   OpenSSH `ssh host 'cat > f' < file` to the same 10 hosts at once (the floor of any upload);
// - a test stage whose install is `npm ci` of a vendored 3,000-file package, with `cache:` (a hit:
//   node_modules restored, npm ci skipped) against the same stage without a cache.
// Timed from the run records (stage start to end), medians of 3.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../test/helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { median, row, timeMs, type BenchRow } from './lib-git-measure.ts';

async function stagesMs(stateDir: string, pipeline: string, n: number, kind: string): Promise<number> {
  const run = JSON.parse(await readFile(join(stateDir, 'runs', pipeline, `${n}.json`), 'utf8'));
  if (run.status !== 'deployed' && run.status !== 'passed') throw new Error(`${pipeline} #${n} ${run.status}: ${run.error}`);
  return run.stages.filter((s: { kind: string }) => s.kind === kind).reduce((t: number, s: { startedAt: string; finishedAt: string }) => t + Date.parse(s.finishedAt) - Date.parse(s.startedAt), 0);
}

export async function benchCi(): Promise<BenchRow[]> {
  return [...(await benchArtifactDeploy()), ...(await benchCache())];
}

async function benchArtifactDeploy(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-ci-'));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const hosts: TestHost[] = [];
  try {
    for (let i = 1; i <= 10; i++) hosts.push(await startTestHost(keys, { name: `h${i}` }));
    const blob = randomBytes(50 * 1024 * 1024);
    const repo = await createRepo(server, 'app', { 'blob.bin': blob, 'VERSION': '0\n' }, { message: 'v0' });
    const configDir = join(work, 'config');
    const stateDir = join(work, 'state');
    const names = hosts.map((h) => h.name).join(', ');
    await writeConfigFolder(configDir, {
      'slipway.yaml': `stateDir: ../state\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': hosts.map((h) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user} }\n`).join(''),
      'pipelines/art.yaml': `repo: ${repo.url}\nartifact: { paths: [blob.bin, VERSION] }\ndeploy: { path: ~/art, source: artifact, keepReleases: 2 }\nenvironments: [{ name: production, hosts: [${names}] }]\n`,
      'pipelines/pull.yaml': `repo: ${repo.url}\ndeploy: { path: ~/pull, keepReleases: 2 }\nenvironments: [{ name: production, hosts: [${names}] }]\n`,
    });
    const times: Record<string, number[]> = { art: [], pull: [], ssh: [] };
    const file = join(work, 'blob.bin');
    await writeFile(file, blob);
    for (let n = 1; n <= 3; n++) {
      if (n > 1) await repo.commit({ VERSION: `${n}\n` }, `v${n}`);
      for (const p of ['art', 'pull']) {
        const r = await runSlipway(['once', p, '--config', configDir]);
        if (r.code !== 0) throw new Error(r.stdout + r.stderr);
        times[p]!.push(await stagesMs(stateDir, p, n, 'deploy'));
      }
      times.ssh!.push(await timeMs(() => Promise.all(hosts.map((h) =>
        execa('ssh', ['-i', keys.identityFile, '-o', `UserKnownHostsFile=${keys.knownHostsFile}`, '-o', 'BatchMode=yes', '-p', String(h.port), `${h.user}@127.0.0.1`, `cat > ${join(h.root, 'copy.bin')}`], { inputFile: file }),
      ))));
    }
    return [
      row('deploy 50 MB to 10 hosts: source: artifact vs pull', median(times.art!), median(times.pull!), 'ms', 'all 10 sshd share this box'),
      row('deploy 50 MB to 10 hosts: source: artifact vs ssh cat > f to each', median(times.art!), median(times.ssh!), 'ms', 'OpenSSH: the bytes only'),
    ];
  } finally {
    for (const h of hosts) await h.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function benchCache(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-cache-'));
  const server = await startGitServer();
  try {
    // A vendored package of 3,000 small files: npm ci installs it offline.
    const pkg = join(work, 'pkg', 'package');
    await mkdir(join(pkg, 'lib'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'big', version: '1.0.0' }));
    for (let i = 0; i < 3000; i++) await writeFile(join(pkg, 'lib', `m${i}.js`), `module.exports = ${i};\n`);
    await execa('tar', ['-czf', join(work, 'big-1.0.0.tgz'), '-C', join(work, 'pkg'), 'package']);
    const app = join(work, 'app');
    await mkdir(join(app, 'vendor'), { recursive: true });
    await execa('cp', [join(work, 'big-1.0.0.tgz'), join(app, 'vendor')]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { big: 'file:vendor/big-1.0.0.tgz' } }));
    await execa('npm', ['install', '--offline', '--no-audit', '--no-fund', '--package-lock-only'], { cwd: app });
    const files: Record<string, Buffer> = {};
    for (const f of ['package.json', 'package-lock.json', 'vendor/big-1.0.0.tgz']) files[f] = await readFile(join(app, f));
    const repo = await createRepo(server, 'app', { ...files, 'VERSION': '0\n' }, { message: 'v0' });
    const configDir = join(work, 'config');
    const stateDir = join(work, 'state');
    const install = '[ -d node_modules/big ] || npm ci --offline --no-audit --no-fund';
    await writeConfigFolder(configDir, {
      'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
      'hosts.yaml': '{}\n',
      'pipelines/cached.yaml': `repo: ${repo.url}\ncache: { key: [package-lock.json], paths: [node_modules] }\ntest: ["${install}", "test -f node_modules/big/lib/m2999.js"]\n`,
      'pipelines/plain.yaml': `repo: ${repo.url}\ntest: ["${install}", "test -f node_modules/big/lib/m2999.js"]\n`,
    });
    const times: Record<string, number[]> = { cached: [], plain: [] };
    // Run 1 fills the cache; runs 2-4 are hits.
    for (let n = 1; n <= 4; n++) {
      if (n > 1) await repo.commit({ VERSION: `${n}\n` }, `v${n}`);
      for (const p of ['cached', 'plain']) {
        const r = await runSlipway(['once', p, '--config', configDir], { env: { npm_config_cache: join(work, 'npm-cache') } });
        if (r.code !== 0) throw new Error(r.stdout + r.stderr);
        if (n > 1) times[p]!.push(await stagesMs(stateDir, p, n, 'test'));
      }
    }
    return [row('test stage with npm ci of 3,000 files: cache hit vs no cache', median(times.cached!), median(times.plain!), 'ms', 'hit: node_modules restored, npm ci skipped')];
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchCi()));
  process.exit(0);
}
