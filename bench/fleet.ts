// A deploy to 100 host entries: 10 real OpenSSH sshd on 127.0.0.1, each reached under 10 names,
// as 10 pipelines (one deploy path each) of one environment with 10 hosts, all run by one
// `slipway once` with concurrency 10. Measures its wall time, its CPU per host and its peak RSS
// (/usr/bin/time -v of the whole process). Native reference in the same process tree: OpenSSH
// reaching the same 100 host entries, 30 at a time (`xargs -P 30 ssh … true`), the bare cost of
// 100 logins. The SSH start cap (30 in all, 8 per sshd) keeps sshd's MaxStartups from dropping any.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { row, runCmd, type BenchRow } from './lib-git-measure.ts';
import { BIN, NAMES_PER_SSHD, SSHD, startFleet, timeV } from './lib-fleet.ts';

export async function benchFleet(): Promise<BenchRow[]> {
  const fleet = await startFleet('fleet');
  const { work, keys, sshds, repo, names } = fleet;
  try {
    const files: Record<string, string> = {
      'slipway.yaml': `stateDir: ../state\nconcurrency: ${NAMES_PER_SSHD}\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': fleet.hostsYaml,
    };
    // Pipeline j deploys to the j-th name of every sshd, under its own path: 10 × 10 distinct targets.
    for (let j = 0; j < NAMES_PER_SSHD; j++) {
      files[`pipelines/p${j}.yaml`] = `repo: ${repo.url}\ntest: ["true"]\ndeploy: { path: ~/fleet-${j}, restart: "true" }\nenvironments: [{ name: production, hosts: [${names[j]!.join(', ')}], batch: ${SSHD} }]\n`;
    }
    await writeConfigFolder(join(work, 'config'), files);

    // SLIPWAY_FLEET_NODE_ARGS (say `--cpu-prof --cpu-prof-dir=/tmp/prof`) goes to slipway's node,
    // SLIPWAY_FLEET_WRAP (say `strace -f -c -o /tmp/sc`) before it: how this bench is profiled.
    const words = (name: string): string[] => (process.env[name] ?? '').split(' ').filter(Boolean);
    const slipwayCmd = [...words('SLIPWAY_FLEET_WRAP'), process.execPath, ...words('SLIPWAY_FLEET_NODE_ARGS'), BIN, 'once', '--config', join(work, 'config')];
    const { stderr } = await runCmd('/usr/bin/time', ['-v', ...slipwayCmd], { env: { ...process.env, NO_COLOR: '1' } }).catch((e: { stderr?: string; stdout?: string }) => {
      throw new Error(`slipway once failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
    const slipway = timeV(stderr);
    let deployed = 0;
    for (let j = 0; j < NAMES_PER_SSHD; j++) {
      const run = JSON.parse(await readFile(join(work, 'state', 'runs', `p${j}`, '1.json'), 'utf8')) as { status: string };
      if (run.status === 'deployed') deployed++;
    }
    if (deployed !== NAMES_PER_SSHD) throw new Error(`${deployed} of ${NAMES_PER_SSHD} pipelines deployed`);

    const targets = sshds.flatMap((h) => Array.from({ length: NAMES_PER_SSHD }, () => String(h.port))).join('\n');
    await writeFile(join(work, 'targets'), `${targets}\n`);
    const sshOpts = fleet.sshOpts;
    const native = timeV(
      (
        await runCmd('/usr/bin/time', ['-v', 'sh', '-c', `xargs -P 30 -I PORT ssh ${sshOpts} -p PORT ${sshds[0]!.user}@127.0.0.1 true < "$1"`, 'sh', join(work, 'targets')])
      ).stderr,
    );
    const hosts = SSHD * NAMES_PER_SSHD;
    return [
      row(`fleet: once deploying to ${hosts} host entries (${SSHD} sshd × ${NAMES_PER_SSHD}) vs ${hosts} OpenSSH logins, 30 at a time`, slipway.wallS * 1000, native.wallS * 1000, 'ms', 'wall time; test stage, deploy and report included'),
      row(`fleet: client CPU per host (slipway process vs ssh clients)`, (slipway.cpuS * 1000) / hosts, (native.cpuS * 1000) / hosts, 'ms', `${slipway.cpuS.toFixed(1)} s CPU in all (user ${slipway.userS.toFixed(1)}, sys ${slipway.sysS.toFixed(1)}); target <= 30 ms`),
      row(`fleet: peak RSS (slipway once vs the largest ssh client)`, slipway.rssMb, native.rssMb, 'MB', ''),
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
