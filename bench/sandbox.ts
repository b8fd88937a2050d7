// The test sandbox's cost per test command: the same command through the same runner (runLocal:
// own process group, masking-ready output) under bwrap and under sandbox: none, side by side.
// And the streaming masker's cost on a chatty step: 16 MiB of output with the property test's
// kinds of secrets (a 3 KB one among them), against passing the same chunks through unmasked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectSandbox, prepareCommandRunner, type CommandRunner } from '../src/exec/sandbox-runner.ts';
import { StreamMasker } from '../src/exec/mask.ts';
import { median, row, timeMs, type BenchRow } from './lib-git-measure.ts';

async function runner(kind: 'auto' | 'none', dir: string): Promise<CommandRunner> {
  return prepareCommandRunner({
    choice: detectSandbox(kind),
    workspace: dir,
    home: join(dir, '..', `home-${kind}`),
    network: true,
    hide: [],
    declared: { CI: 'true' },
    fallbackEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
}

async function perCommand(r: CommandRunner, command: string, n: number): Promise<number> {
  const ms = await timeMs(async () => {
    for (let i = 0; i < n; i++) {
      const res = await r.run(command, { deadline: Date.now() + 60_000, onOutput: () => {} });
      if (res.exitCode !== 0) throw new Error(`${command} exited ${res.exitCode}`);
    }
  });
  return ms / n;
}

export async function benchSandbox(): Promise<BenchRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-bench-sandbox-'));
  const work = join(root, 'work');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(work);
  try {
    const bwrap = await runner('auto', work);
    if (bwrap.choice.kind !== 'bwrap') throw new Error('bench sandbox: /usr/bin/bwrap is missing');
    const none = await runner('none', work);
    const rows: BenchRow[] = [];
    for (const [label, command, n] of [['`true`', 'true', 20], ['`node -e 0`', 'node -e 0', 10]] as const) {
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < 5; round++) {
        a.push(await perCommand(bwrap, command, n));
        b.push(await perCommand(none, command, n));
      }
      rows.push(row(`sandbox: test command ${label}, bwrap vs none`, median(a), median(b), 'ms/command', 'added cost per command'));
    }
    rows.push(maskingRow());
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function maskingRow(): BenchRow {
  const secrets = ['ghp_' + 'x'.repeat(36), `q'"\\$\`${'y'.repeat(20)}`, 'üñï🚀漢字-secret', 'L'.repeat(3000), '-----BEGIN KEY-----\nAAAA\nBBBBBBBBBBBBBBBB\n-----END KEY-----'];
  const line = Buffer.from('npm info lifecycle some-package@1.2.3~postinstall: some-package@1.2.3 ünïcode 🚀\n');
  const chunk = Buffer.concat(Array.from({ length: 800 }, () => line)); // ~64 KiB, a pipe's worth
  const chunks = Math.ceil((16 * 1024 * 1024) / chunk.length);
  const masked: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < 5; round++) {
    let out = 0;
    const start = performance.now();
    const m = new StreamMasker(secrets, (t) => (out += t.length));
    for (let i = 0; i < chunks; i++) m.write(chunk, i % 3 === 0 ? 'stderr' : 'stdout');
    m.flush();
    masked.push(performance.now() - start);
    const start2 = performance.now();
    const decoder = new TextDecoder();
    for (let i = 0; i < chunks; i++) out += decoder.decode(chunk, { stream: true }).length;
    plain.push(performance.now() - start2);
  }
  return row('masking: 16 MiB of step output, StreamMasker vs decode only', median(masked), median(plain), 'ms', '5 secrets, one 3 KB');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchSandbox()));
  process.exit(0);
}
