// Parallel fan-out: the deploy stage of one small release to 1 host against the same release to
// 10 hosts at once (batch 10), each host a real OpenSSH sshd on 127.0.0.1. Timed from the run
// records (the deploy stage's start and end), medians of 5 commits. Target: 10 hosts <= 1.5x 1 host.
// SSH execs per host are counted on the hosts themselves: each sshd runs every command through a
// ForceCommand that appends a line to $HOME/.slipway-execs first (issue 13: <= 4 per host for a
// deploy without user steps), compared with what one `ssh host true` costs (1).
// The far side's CPU per host: what every host's sshd and everything it started used (the
// listeners' reaped children in /proc, read once the sessions are gone), for the 10-host deploys
// with the 1 s step, against one OpenSSH `ssh host true` measured the same way. On this box the
// ten hosts share slipway's two cores, so this CPU is what stretches 10 hosts against 1.
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../test/helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { median, row, type BenchRow } from './lib-git-measure.ts';

async function stageMs(stateDir: string, pipeline: string, n: number): Promise<number> {
  const run = JSON.parse(await readFile(join(stateDir, 'runs', pipeline, `${n}.json`), 'utf8'));
  const stage = run.stages.find((s: { kind: string }) => s.kind === 'deploy');
  if (run.status !== 'deployed') throw new Error(`${pipeline} #${n} ${run.status}: ${run.error}`);
  return Date.parse(stage.finishedAt) - Date.parse(stage.startedAt);
}

/** The sshd listeners this process started (its children named sshd), by pid. */
async function listeners(): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) === 'sshd' && Number(stat.slice(close + 2).split(' ')[1]) === process.pid) out.push(Number(e));
  }
  return out;
}

/** ms of CPU of the listeners' reaped children (cutime + cstime, in clock ticks of 10 ms). */
async function farCpuMs(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks * 10;
}

/** Waits (deadline 10 s) until no listener has a session left: only then is its CPU reaped. */
async function sessionsGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  const parentOf = async (e: string): Promise<number> => {
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  for (;;) {
    const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
    const parents = await Promise.all(entries.map(parentOf));
    if (!parents.some((p) => pids.includes(p))) return;
    if (Date.now() > deadline) throw new Error('sshd sessions still running 10 s after slipway exited');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchDeploy(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-deploy-'));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const hosts: TestHost[] = [];
  try {
    const counter = join(work, 'count-exec.sh');
    await writeFile(counter, '#!/bin/sh\necho x >> "$HOME/.slipway-execs"\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n');
    await chmod(counter, 0o755);
    for (let i = 1; i <= 10; i++) hosts.push(await startTestHost(keys, { name: `h${i}`, sshdOptions: [`ForceCommand ${counter}`] }));
    const execs = async (): Promise<number> => (await Promise.all(hosts.map((h) => readFile(join(h.root, '.slipway-execs'), 'utf8').catch(() => '')))).reduce((n, t) => n + t.split('\n').filter(Boolean).length, 0);
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`src/file${i}.js`] = `module.exports = ${i};\n`.repeat(20);
    const repo = await createRepo(server, 'app', files, { message: 'v0' });
    const configDir = join(work, 'config');
    const stateDir = join(work, 'state');
    const names = hosts.map((h) => h.name);
    await writeConfigFolder(configDir, {
      'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': hosts.map((h) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user} }\n`).join(''),
      'pipelines/one.yaml': `repo: ${repo.url}\ndeploy: { path: ~/one, steps: ["true"], restart: "true" }\nenvironments: [{ name: production, hosts: [h1] }]\n`,
      'pipelines/ten.yaml': `repo: ${repo.url}\ndeploy: { path: ~/ten, steps: ["true"], restart: "true" }\nenvironments: [{ name: production, hosts: [${names.join(', ')}], batch: 10 }]\n`,
      // The same with a step that waits 1 s, as remote work on a machine of its own does: here all
      // ten "hosts" share this machine's 2 cores, so the CPU-bound pair above measures the box.
      'pipelines/one-wait.yaml': `repo: ${repo.url}\ndeploy: { path: ~/onew, steps: ["sleep 1"], restart: "true" }\nenvironments: [{ name: production, hosts: [h1] }]\n`,
      'pipelines/ten-wait.yaml': `repo: ${repo.url}\ndeploy: { path: ~/tenw, steps: ["sleep 1"], restart: "true" }\nenvironments: [{ name: production, hosts: [${names.join(', ')}], batch: 10 }]\n`,
      // No user steps, a restart and a health check: the deploy issue 13 counts execs of.
      'pipelines/ten-plain.yaml': `repo: ${repo.url}\ndeploy: { path: ~/tenp, restart: "true", healthCheck: { command: "true", timeout: 10s } }\nenvironments: [{ name: production, hosts: [${names.join(', ')}], batch: 10 }]\n`,
      'pipelines/one-plain.yaml': `repo: ${repo.url}\ndeploy: { path: ~/onep, restart: "true", healthCheck: { command: "true", timeout: 10s } }\nenvironments: [{ name: production, hosts: [h1] }]\n`,
    });
    const times: Record<string, number[]> = { one: [], ten: [], 'one-wait': [], 'ten-wait': [] };
    const sshds = await listeners();
    if (sshds.length !== hosts.length) throw new Error(`found ${sshds.length} sshd listeners for ${hosts.length} hosts`);
    const farTen: number[] = [];
    for (let n = 1; n <= 5; n++) {
      if (n > 1) await repo.commit({ 'CHANGES': `v${n}\n` }, `v${n}`);
      for (const p of Object.keys(times)) {
        await sessionsGone(sshds);
        const before = await farCpuMs(sshds);
        const r = await runSlipway(['once', p, '--config', configDir]);
        if (r.code !== 0) throw new Error(r.stdout + r.stderr);
        times[p]!.push(await stageMs(stateDir, p, n));
        await sessionsGone(sshds);
        // The first deploy clones the repo on each host: redeploys only.
        if (p === 'ten-wait' && n > 1) farTen.push(((await farCpuMs(sshds)) - before) / hosts.length);
      }
    }
    const h1 = hosts[0]!;
    const farSsh: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sessionsGone(sshds);
      const before = await farCpuMs(sshds);
      const ssh = ['-i', keys.identityFile, '-o', `UserKnownHostsFile=${keys.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(h1.port), `${h1.user}@127.0.0.1`, 'true'];
      await execa('ssh', ssh);
      await sessionsGone(sshds);
      farSsh.push((await farCpuMs(sshds)) - before);
    }
    // A redeploy (the hosts have a release already), counted alone.
    const perHost: Record<string, number> = {};
    for (const [p, n] of [['one-plain', 1], ['ten-plain', 10]] as const) {
      if ((await runSlipway(['once', p, '--config', configDir])).code !== 0) throw new Error(`${p} failed`);
      await repo.commit({ CHANGES: `plain ${p}\n` }, `plain ${p}`);
      const before = await execs();
      const r = await runSlipway(['once', p, '--config', configDir]);
      if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      perHost[p] = ((await execs()) - before) / n;
    }
    return [
      row('deploy: SSH execs per host, redeploy without user steps (restart + health check), 10 hosts', perHost['ten-plain']!, 1, 'execs', 'vs 1 for `ssh host true`; target <= 4'),
      row('deploy: SSH execs per host, the same to 1 host', perHost['one-plain']!, 1, 'execs', 'target <= 4'),
      row('deploy stage: 10 hosts (batch 10) vs 1 host, CPU-bound on this 2-core box', median(times.ten!), median(times.one!), 'ms', 'all 10 sshd share 2 cores'),
      row('deploy stage: 10 hosts vs 1, each with a 1 s remote step', median(times['ten-wait']!), median(times['one-wait']!), 'ms', 'target <= 1.5x (parallel fan-out)'),
      row('far-side CPU per host, redeploy with the 1 s step to 10 hosts (sshd and all it ran), vs one `ssh host true`', median(farTen), median(farSsh), 'ms', `10 ms ticks; runs ${farTen.join('/')}`),
    ];
  } finally {
    for (const h of hosts) await h.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchDeploy()));
  process.exit(0);
}
