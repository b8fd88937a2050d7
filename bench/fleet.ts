// A deploy to 100 host entries: 10 real OpenSSH sshd on 127.0.0.1, each reached under 10 names,
// as 10 pipelines (one deploy path each) of one environment with 10 hosts, all run by one
// `slipway once` with concurrency 10. Measures its wall time, its CPU per host (the whole once,
// and the deploy's own: minus the same once test-only) and its peak RSS (/usr/bin/time -v of the
// whole process). Native reference in the same process tree: OpenSSH
// reaching the same 100 host entries, 30 at a time (`xargs -P 30 ssh … true`), the bare cost of
// 100 logins. The SSH start cap (30 in all, 8 per sshd) keeps sshd's MaxStartups from dropping any.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { median, row, runCmd, type BenchRow } from './lib-git-measure.ts';
import { BIN, NAMES_PER_SSHD, SSHD, startFleet, timeV, type Fleet } from './lib-fleet.ts';

/** The config folder of round `round`: 10 pipelines, each deploying (or, test-only, not) to 10 host entries. */
function fleetConfig(fleet: Fleet, round: number, deploy: boolean): Record<string, string> {
  const state = `state-${deploy ? 'deploy' : 'test'}-${round}`;
  const files: Record<string, string> = {
    'slipway.yaml': `stateDir: ../${state}\nconcurrency: ${NAMES_PER_SSHD}\nssh: { identity: ${fleet.keys.identityFile}, knownHosts: ${fleet.keys.knownHostsFile} }\n`,
    'hosts.yaml': fleet.hostsYaml,
  };
  // Pipeline j deploys to the j-th name of every sshd, under its own path: 10 × 10 distinct
  // targets, new ones each round (a first deploy there, as in round 0).
  for (let j = 0; j < NAMES_PER_SSHD; j++) {
    const target = deploy ? `deploy: { path: ~/fleet-${round}-${j}, restart: "true" }\nenvironments: [{ name: production, hosts: [${fleet.names[j]!.join(', ')}], batch: ${SSHD} }]\n` : '';
    files[`pipelines/p${j}.yaml`] = `repo: ${fleet.repo.url}\ntest: ["true"]\n${target}`;
  }
  return files;
}

/** One `slipway once` of a config folder under /usr/bin/time -v. */
async function timeOnce(configDir: string): Promise<ReturnType<typeof timeV>> {
  // SLIPWAY_FLEET_NODE_ARGS (say `--cpu-prof --cpu-prof-dir=/tmp/prof`) goes to slipway's node,
  // SLIPWAY_FLEET_WRAP (say `strace -f -c -o /tmp/sc`) before it: how this bench is profiled.
  const words = (name: string): string[] => (process.env[name] ?? '').split(' ').filter(Boolean);
  const slipwayCmd = [...words('SLIPWAY_FLEET_WRAP'), process.execPath, ...words('SLIPWAY_FLEET_NODE_ARGS'), BIN, 'once', '--config', configDir];
  const { stderr } = await runCmd('/usr/bin/time', ['-v', ...slipwayCmd], { env: { ...process.env, NO_COLOR: '1' } }).catch((e: { stderr?: string; stdout?: string }) => {
    throw new Error(`slipway once failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  });
  return timeV(stderr);
}

// Rounds: each runs the same 10 pipelines test-only (poll, checkout, test stage, records,
// report: what a once costs without any host) and then deploying to the 100 host entries. The
// difference is what the deploy itself costs per host; the whole once per host is shown too.
const ROUNDS = Number(process.env.SLIPWAY_FLEET_ROUNDS ?? 3);

export async function benchFleet(): Promise<BenchRow[]> {
  const fleet = await startFleet('fleet');
  const { work, sshds } = fleet;
  try {
    const whole: Array<ReturnType<typeof timeV>> = [];
    const testOnly: Array<ReturnType<typeof timeV>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const testDir = join(work, `config-test-${round}`);
      const deployDir = join(work, `config-deploy-${round}`);
      await writeConfigFolder(testDir, fleetConfig(fleet, round, false));
      await writeConfigFolder(deployDir, fleetConfig(fleet, round, true));
      testOnly.push(await timeOnce(testDir));
      whole.push(await timeOnce(deployDir));
      let deployed = 0;
      for (let j = 0; j < NAMES_PER_SSHD; j++) {
        const run = JSON.parse(await readFile(join(work, `state-deploy-${round}`, 'runs', `p${j}`, '1.json'), 'utf8')) as { status: string };
        if (run.status === 'deployed') deployed++;
      }
      if (deployed !== NAMES_PER_SSHD) throw new Error(`${deployed} of ${NAMES_PER_SSHD} pipelines deployed`);
    }

    const targets = sshds.flatMap((h) => Array.from({ length: NAMES_PER_SSHD }, () => String(h.port))).join('\n');
    await writeFile(join(work, 'targets'), `${targets}\n`);
    const native = timeV(
      (
        await runCmd('/usr/bin/time', ['-v', 'sh', '-c', `xargs -P 30 -I PORT ssh ${fleet.sshOpts} -p PORT ${sshds[0]!.user}@127.0.0.1 true < "$1"`, 'sh', join(work, 'targets')])
      ).stderr,
    );
    const hosts = SSHD * NAMES_PER_SSHD;
    const perHost = (s: number): number => (s * 1000) / hosts;
    const cpuWhole = whole.map((r) => perHost(r.cpuS));
    const cpuDeploy = whole.map((r, i) => perHost(r.cpuS - testOnly[i]!.cpuS));
    const list = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join('/');
    const mid = median(whole.map((r) => r.cpuS));
    const at = whole.find((r) => r.cpuS === mid) ?? whole[0]!;
    return [
      row(`fleet: once deploying to ${hosts} host entries (${SSHD} sshd × ${NAMES_PER_SSHD}) vs ${hosts} OpenSSH logins, 30 at a time`, median(whole.map((r) => r.wallS * 1000)), native.wallS * 1000, 'ms', `wall time, median of ${ROUNDS}; test stage, deploy and report included`),
      row(`fleet: client CPU per host, whole once (slipway process vs ssh clients)`, median(cpuWhole), perHost(native.cpuS), 'ms', `median of ${ROUNDS} (${list(cpuWhole)}); ${at.cpuS.toFixed(1)} s CPU in all (user ${at.userS.toFixed(1)}, sys ${at.sysS.toFixed(1)})`),
      row(`fleet: client CPU per host of the deploy (once minus the same once test-only) vs ssh clients`, median(cpuDeploy), perHost(native.cpuS), 'ms', `median of ${ROUNDS} (${list(cpuDeploy)}); test-only once ${list(testOnly.map((r) => r.cpuS))} s; target <= 30 ms`),
      row(`fleet: peak RSS (slipway once vs the largest ssh client)`, Math.max(...whole.map((r) => r.rssMb)), native.rssMb, 'MB', ''),
    ];
  } finally {
    await fleet.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchFleet()));
  process.exit(0);
}
