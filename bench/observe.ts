// One observation of 100 host entries (10 real OpenSSH sshd on 127.0.0.1 × 10 names each, as
// bench/fleet.ts sets them up: 10 pipelines with their own deploy path and one environment of 10
// hosts, deployed once by `slipway once` first). Measured in this process with slipway's own
// observeEnvironment, as the daemon runs it: cold (the connects included) and warm (pooled
// connections, the daemon's steady state), slipway CPU per host (process.cpuUsage), SSH execs per
// host (counted at the connection), and the warm wall time of 100 hosts against one.
// Native reference in the same run: OpenSSH `ssh` sending the very command slipway sends (the
// same facts script, health variables on stdin) to the same 100 targets, 30 at a time, and to one.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { loadConfig } from '../src/config/load.ts';
import { createPool } from '../src/wiring/runtime.ts';
import { observeEnvironment, factsRequest } from '../src/pipeline/observe-hosts.ts';
import { factsScript } from '../src/pipeline/host-facts.ts';
import { buildRemoteCommand, type SshConnection } from '../src/ssh/connection.ts';
import { readPipelineState } from '../src/state/store.ts';
import type { Config } from '../src/config/types.ts';
import type { SshPool } from '../src/ssh/pool.ts';
import { median, row, runCmd, type BenchRow } from './lib-git-measure.ts';
import { BIN, NAMES_PER_SSHD, SSHD, startFleet, timeV } from './lib-fleet.ts';

const ROUNDS = 5;

/** Counts exec calls at the connection: what an observation costs each host in SSH commands. */
function countingPool(pool: SshPool): { pool: SshPool; execs: () => number } {
  let execs = 0;
  const get = pool.get.bind(pool);
  pool.get = async (host: string): Promise<SshConnection> => {
    const conn = await get(host);
    return { host: conn.host, closed: conn.closed, exec: (s, o) => (execs++, conn.exec(s, o)), forward: (a, p) => conn.forward(a, p), close: () => conn.close() };
  };
  return { pool, execs: () => execs };
}

async function observeAll(config: Config, pool: SshPool, only?: string): Promise<number> {
  const deps = { config, pool, now: () => new Date() };
  const jobs = config.pipelines.flatMap((p) => p.environments.map((e) => ({ p, e: only ? { ...e, hosts: e.hosts.filter((h) => h === only) } : e }))).filter((j) => j.e.hosts.length > 0);
  const found = (await Promise.all(jobs.map(({ p, e }) => observeEnvironment(deps, p, e, { record: false })))).flat();
  const synced = found.filter((o) => o.classification?.sync === 'synced').length;
  if (synced !== found.length) throw new Error(`${found.length - synced} of ${found.length} hosts not synced: ${JSON.stringify(found.find((o) => o.classification?.sync !== 'synced')?.classification)}`);
  return found.length;
}

export async function benchObserve(): Promise<BenchRow[]> {
  const fleet = await startFleet('observe');
  const { work, keys, sshds, repo, names } = fleet;
  try {
    const files: Record<string, string> = {
      'slipway.yaml': `stateDir: ../state\nconcurrency: ${NAMES_PER_SSHD}\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': fleet.hostsYaml,
    };
    for (let j = 0; j < NAMES_PER_SSHD; j++) {
      files[`pipelines/p${j}.yaml`] = `repo: ${repo.url}\ntest: ["true"]\ndeploy: { path: ~/observe-${j}, restart: "true", healthCheck: { command: "true" } }\nenvironments: [{ name: production, hosts: [${names[j]!.join(', ')}], batch: ${SSHD} }]\n`;
    }
    const configDir = join(work, 'config');
    await writeConfigFolder(configDir, files);
    await runCmd(process.execPath, [BIN, 'once', '--config', configDir], { env: { ...process.env, NO_COLOR: '1' } }).catch((e: { stderr?: string; stdout?: string }) => {
      throw new Error(`slipway once failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
    const config = await loadConfig(configDir);
    const hosts = SSHD * NAMES_PER_SSHD;

    // slipway, in this process, as the daemon's observer runs it.
    const { pool, execs } = countingPool(createPool(config));
    let t = performance.now();
    let cpu = process.cpuUsage();
    const seen = await observeAll(config, pool);
    const coldMs = performance.now() - t;
    const coldCpu = process.cpuUsage(cpu);
    if (seen !== hosts) throw new Error(`observed ${seen} of ${hosts} hosts`);
    const coldExecs = execs();
    const warm: number[] = [];
    const warmCpu: number[] = [];
    const one: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      t = performance.now();
      cpu = process.cpuUsage();
      await observeAll(config, pool);
      warm.push(performance.now() - t);
      const c = process.cpuUsage(cpu);
      warmCpu.push((c.user + c.system) / 1000);
      t = performance.now();
      await observeAll(config, pool, 's0n0');
      one.push(performance.now() - t);
    }
    const execsPerHost = execs() / (hosts * (ROUNDS + 1) + ROUNDS);
    await pool.closeAll();

    // Native: ssh sending the same command (and stdin) to the same targets.
    const lines: string[] = [];
    for (let j = 0; j < NAMES_PER_SSHD; j++) {
      const p = config.pipelines.find((x) => x.name === `p${j}`)!;
      const env = p.environments[0]!;
      const desired = (await readPipelineState(config.settings.stateDir, p.name)).environments[env.name];
      const { script, stdin } = factsScript(factsRequest(p, env, config.hosts[env.hosts[0]!]!, desired));
      await writeFile(join(work, `cmd-${j}`), buildRemoteCommand(script, { timeoutMs: 60_000 }));
      await writeFile(join(work, `stdin-${j}`), stdin ?? '');
      for (const h of sshds) lines.push(`${h.port} ${j}`);
    }
    await writeFile(join(work, 'targets'), `${lines.join('\n')}\n`);
    await writeFile(join(work, 'one'), `${lines[0]}\n`);
    const sshOpts = fleet.sshOpts;
    const nativeRun = async (targets: string) =>
      timeV(
        (
          await runCmd('/usr/bin/time', ['-v', 'sh', '-c', `cd "$1" && xargs -P 30 -L 1 sh -c 'ssh ${sshOpts} -p "$0" ${sshds[0]!.user}@127.0.0.1 "$(cat cmd-$1)" < stdin-$1 > /dev/null' < "$2"`, 'sh', work, targets])
        ).stderr,
      );
    const nativeAll: Array<{ wallS: number; cpuS: number }> = [];
    const nativeOne: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      nativeAll.push(await nativeRun(join(work, 'targets')));
      nativeOne.push((await nativeRun(join(work, 'one'))).wallS * 1000);
    }
    const nWall = median(nativeAll.map((n) => n.wallS * 1000));
    const nCpu = median(nativeAll.map((n) => (n.cpuS * 1000) / hosts));
    const warmMs = median(warm);
    const oneMs = median(one);
    const cpuPerHost = median(warmCpu) / hosts;
    return [
      row(`observe: one observation of ${hosts} host entries (${SSHD} sshd × ${NAMES_PER_SSHD}), cold (connects included) vs ${hosts} OpenSSH ssh, 30 at a time`, coldMs, nWall, 'ms', 'wall time; ssh runs the same command with the same stdin'),
      row(`observe: the same, warm (pooled connections: the daemon's steady state)`, warmMs, nWall, 'ms', `median of ${ROUNDS}`),
      row(`observe: slipway CPU per host, warm (cold: ${((coldCpu.user + coldCpu.system) / 1000 / hosts).toFixed(1)} ms) vs ssh client CPU per host`, cpuPerHost, nCpu, 'ms', 'target <= 20 ms'),
      row(`observe: SSH execs per host and observation (cold: ${(coldExecs / hosts).toFixed(2)})`, execsPerHost, 1, 'execs', 'target <= 1'),
      row(`observe: wall of ${hosts} hosts / wall of one host, warm (ssh: ${(nWall / median(nativeOne)).toFixed(1)}x)`, warmMs / oneMs, 2, 'x', `one host: ${oneMs.toFixed(1)} ms; target <= 2x (the native column is the target)`),
    ];
  } finally {
    await fleet.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchObserve()));
  process.exit(0);
}
