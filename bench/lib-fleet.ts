// The lab of the fleet benchmarks (fleet.ts, observe.ts): 10 real OpenSSH sshd on 127.0.0.1, each
// reached under 10 host names (100 host entries), a git server with one small repo, and how
// /usr/bin/time -v reports a process tree. Pipeline j of a bench targets the j-th name of every sshd.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../test/helpers/git-server.ts';
import { createRepo, type TestRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost, type TestKeys } from '../test/helpers/ssh-host.ts';

export const SSHD = 10;
export const NAMES_PER_SSHD = 10;
// SLIPWAY_FLEET_BIN: another build's bin/slipway.js, for A/B runs of main's build against a branch's.
export const BIN = process.env.SLIPWAY_FLEET_BIN ?? new URL('../bin/slipway.js', import.meta.url).pathname;

export interface Fleet {
  work: string;
  server: GitServer;
  keys: TestKeys;
  sshds: TestHost[];
  repo: TestRepo;
  /** hosts.yaml: every name of every sshd. */
  hostsYaml: string;
  /** names[j]: the j-th name of every sshd (one pipeline's environment). */
  names: string[][];
  /** OpenSSH client options that verify the host key as slipway does. */
  sshOpts: string;
  close(): Promise<void>;
}

export async function startFleet(label: string): Promise<Fleet> {
  const work = await mkdtemp(join(tmpdir(), `slipway-bench-${label}-`));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const sshds: TestHost[] = [];
  const close = async (): Promise<void> => {
    for (const h of sshds) await h.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < SSHD; i++) sshds.push(await startTestHost(keys, { name: `s${i}` }));
    const repo = await createRepo(server, 'app', { 'index.js': 'module.exports = 1;\n', 'README.md': `${label}\n` });
    const hostLines: string[] = [];
    const names: string[][] = Array.from({ length: NAMES_PER_SSHD }, () => []);
    sshds.forEach((h, i) => {
      for (let j = 0; j < NAMES_PER_SSHD; j++) {
        hostLines.push(`s${i}n${j}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user} }`);
        names[j]!.push(`s${i}n${j}`);
      }
    });
    const sshOpts = `-o BatchMode=yes -o IdentitiesOnly=yes -i ${keys.identityFile} -o UserKnownHostsFile=${keys.knownHostsFile} -o StrictHostKeyChecking=yes`;
    return { work, server, keys, sshds, repo, hostsYaml: `${hostLines.join('\n')}\n`, names, sshOpts, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Wall time, CPU (user + system) and peak RSS of a process tree, from /usr/bin/time -v's stderr. */
export function timeV(stderr: string): { wallS: number; cpuS: number; userS: number; sysS: number; rssMb: number } {
  const num = (re: RegExp): number => Number(re.exec(stderr)?.[1] ?? Number.NaN);
  const [m, s] = (/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:\d+:)?(\d+):([\d.]+)/.exec(stderr) ?? []).slice(1).map(Number);
  return {
    wallS: (m ?? 0) * 60 + (s ?? Number.NaN),
    cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    userS: num(/User time \(seconds\): ([\d.]+)/),
    sysS: num(/System time \(seconds\): ([\d.]+)/),
    rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
  };
}
