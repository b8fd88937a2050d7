// Per-command SSH overhead: slipway's reused ssh2 connection (TCP_NODELAY, host-side timeout
// wrapper) against OpenSSH's `ssh` started once per command, as Capistrano-style tools do, and
// against `ssh` with a ControlMaster (a kept connection). Both sides run `true` on the same sshd.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectHost } from '../src/ssh/connection.ts';
import { createTestKeys, startTestHost } from '../test/helpers/ssh-host.ts';
import { median, row, timeMs, type BenchRow } from './lib-git-measure.ts';

const run = promisify(execFile);

export async function benchSsh(): Promise<BenchRow[]> {
  const keys = await createTestKeys();
  const host = await startTestHost(keys, { name: 'bench' });
  const ctl = await mkdtemp(join(tmpdir(), 'slipway-bench-ssh-'));
  const sshArgs = ['-i', keys.identityFile, '-o', `UserKnownHostsFile=${keys.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(host.port), `${host.user}@127.0.0.1`];
  try {
    const conn = await connectHost(host.hostConfig(), { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 10_000 });
    const N = 20;
    const ours: number[] = [];
    const plain: number[] = [];
    const master: number[] = [];
    const masterArgs = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(ctl, 'cm')}`, '-o', 'ControlPersist=60'];
    await run('ssh', [...masterArgs, ...sshArgs, 'true']);
    for (let round = 0; round < 5; round++) {
      ours.push((await timeMs(async () => { for (let i = 0; i < N; i++) await conn.exec('true', { timeoutMs: 30_000 }); })) / N);
      plain.push((await timeMs(async () => { for (let i = 0; i < N; i++) await run('ssh', [...sshArgs, 'true']); })) / N);
      master.push((await timeMs(async () => { for (let i = 0; i < N; i++) await run('ssh', [...masterArgs, ...sshArgs, 'true']); })) / N);
    }
    await conn.close();
    await run('ssh', [...masterArgs, '-O', 'exit', ...sshArgs]).catch(() => undefined);
    return [
      row('ssh: one command, reused connection vs `ssh host true`', median(ours), median(plain), 'ms/command', 'target <= 1.0x'),
      row('ssh: one command, reused connection vs ssh ControlMaster', median(ours), median(master), 'ms/command', 'reference'),
    ];
  } finally {
    await host.stop();
    await rm(ctl, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchSsh()));
  process.exit(0);
}
