// Git benchmarks: slipway's git module against native git, both measured in the same run against
// the same smart-HTTP server (running in its own process). Medians of RUNS runs.
// Run alone: node --import tsx bench/git.ts [a] [bc] [d]   (no argument: all parts)
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readRemoteHead } from '../src/git/remote.ts';
import { fetchMirror } from '../src/git/mirror.ts';
import { compactMirror } from '../src/git/pack-compact.ts';
import { writeTree } from '../src/git/tree.ts';
import { createRepo, git, isolatedGitEnv } from '../test/helpers/git-repo.ts';
import type { GitServer } from '../test/helpers/git-server.ts';
import { makeRandomRepo, makeTreeRepo, startServerProcess } from './lib-git-fixtures.ts';
import { formatTable, median, row, runCmd, timeMs, type BenchRow } from './lib-git-measure.ts';

const RUNS = 5;
const POLL_REPOS = 50;
const POLL_CONCURRENCY = 4;
const TREE_FILES = 3000;
const BIG_PACK_MB = 100;
const rssChild = fileURLToPath(new URL('./lib-git-rss-child.ts', import.meta.url));

/** `only`: a subset of the parts 'a', 'bc' (fetch and tree share a fixture) and 'd'. */
export async function benchGit(opts: { only?: string[] } = {}): Promise<BenchRow[]> {
  const wanted = (part: string) => !opts.only?.length || opts.only.includes(part);
  const temp = await mkdtemp(join(tmpdir(), 'slipway-bench-git-'));
  const root = join(temp, 'served');
  await mkdir(root);
  const server = await startServerProcess(root);
  try {
    return [
      ...(wanted('a') ? await benchRemoteCheck(server) : []),
      ...(wanted('bc') ? await benchFetchAndTree(server, temp) : []),
      ...(wanted('d') ? await benchPeakRss(server, temp) : []),
    ];
  } finally {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  }
}

/** a) A poller checking 50 unchanged remotes: in-process ref listing vs one `git ls-remote` each. */
async function benchRemoteCheck(server: GitServer): Promise<BenchRow[]> {
  const base = await createRepo(server, 'poll-0', { 'a.txt': 'a\n' });
  const urls = [base.url];
  for (let i = 1; i < POLL_REPOS; i++) {
    await runCmd('cp', ['-a', base.bare, join(server.root, `poll-${i}.git`)]);
    urls.push(server.repoUrl(`poll-${i}`));
  }
  const slipway = (url: string) => readRemoteHead({ url, branch: 'main' });
  const native = (url: string) => runCmd('git', ['ls-remote', url, 'refs/heads/main'], { env: isolatedGitEnv });
  const rows: BenchRow[] = [];
  for (const concurrency of [1, POLL_CONCURRENCY]) {
    const [s, n] = await alternate(
      () => eachLimited(urls, concurrency, slipway),
      () => eachLimited(urls, concurrency, native),
    );
    const how = concurrency === 1 ? 'one at a time' : `${concurrency} at a time`;
    rows.push(row(`a) check ${POLL_REPOS} unchanged remotes, ${how}`, s, n, 'ms', 'readRemoteHead vs git ls-remote'));
  }
  return rows;
}

/** b) fetch of one new commit into an existing mirror; c) writing a 3,000-file commit to a folder. */
async function benchFetchAndTree(server: GitServer, temp: string): Promise<BenchRow[]> {
  const repo = await makeTreeRepo(server, 'tree', TREE_FILES, 20);
  const mirror = join(temp, 'slipway-mirror.git');
  const nativeMirror = join(temp, 'native-mirror.git');
  const remote = { url: repo.url, branch: 'main' };
  await fetchMirror({ remote, gitdir: mirror });
  await runCmd('git', ['clone', '-q', '--bare', repo.url, nativeMirror], { env: isolatedGitEnv });
  const nativeFetch = () =>
    runCmd('git', ['-C', nativeMirror, 'fetch', '-q', '--no-tags', repo.url, '+refs/heads/main:refs/heads/main'], { env: isolatedGitEnv });

  const fetchNew = { slipway: [] as number[], native: [] as number[] };
  const fetchSame = { slipway: [] as number[], native: [] as number[] };
  for (let i = 0; i < RUNS + 1; i++) {
    const sha = await repo.commit({ [`bench/${i}.txt`]: `run ${i}\n`, 'src/d00/s0/file-0.ts': `edit ${i}\n` }, `bench ${i}`);
    const slipway = async () => {
      const result = await fetchMirror({ remote, gitdir: mirror });
      if (result.head !== sha || !result.fetched) throw new Error('fetchMirror missed the new commit');
    };
    // Alternate who goes first: the second one finds the server's page cache warm.
    let ts = 0;
    let tn = 0;
    if (i % 2 === 0) {
      ts = await timeMs(slipway);
      tn = await timeMs(nativeFetch);
    } else {
      tn = await timeMs(nativeFetch);
      ts = await timeMs(slipway);
    }
    if (i === 0) continue; // warms connections and caches on both sides
    fetchNew.slipway.push(ts);
    fetchNew.native.push(tn);
    fetchSame.slipway.push(await timeMs(() => fetchMirror({ remote, gitdir: mirror })));
    fetchSame.native.push(await timeMs(nativeFetch));
  }
  if ((await git(nativeMirror, ['rev-parse', 'main'])) !== repo.head) throw new Error('native fetch missed the new commit');

  const tree: Record<'slipway' | 'worktree' | 'archive', number[]> = { slipway: [], worktree: [], archive: [] };
  let slipwayCpu = 0;
  for (let i = 0; i < RUNS; i++) {
    const out = (name: string) => join(temp, `${name}-${i}`);
    const contenders = {
      slipway: async () => {
        const cpu = process.cpuUsage();
        await writeTree({ gitdir: mirror, sha: repo.head, dir: out('slipway') });
        const used = process.cpuUsage(cpu);
        slipwayCpu += (used.user + used.system) / 1000 / RUNS;
      },
      worktree: () => runCmd('git', ['-C', nativeMirror, 'worktree', 'add', '-q', '--detach', out('worktree'), repo.head], { env: isolatedGitEnv }),
      archive: async () => {
        await mkdir(out('archive'));
        await runCmd('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', nativeMirror, repo.head, out('archive')]);
      },
    };
    // Rotate the order: whoever runs right after the clean-up below pays for the disk catching up.
    const names = ['slipway', 'worktree', 'archive'] as const;
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      tree[name].push(await timeMs(contenders[name]));
    }
    await Promise.all(names.map((n) => rm(out(n), { recursive: true, force: true })));
    await git(nativeMirror, ['worktree', 'prune']);
    await runCmd('sync', []);
  }
  const packs = (await readdir(join(mirror, 'objects/pack'))).filter((f) => f.endsWith('.pack')).length;
  // Compaction of the packs the fetches above left, against native git joining them too.
  const compactMs = await timeMs(() => compactMirror({ gitdir: mirror, minPacks: 2 }));
  const repackMs = await timeMs(() => runCmd('git', ['-C', nativeMirror, 'repack', '-a', '-d', '-q'], { env: isolatedGitEnv }));
  return [
    row('b) fetch 1 new commit into a mirror', median(fetchNew.slipway), median(fetchNew.native), 'ms', 'fetchMirror vs git fetch'),
    row('b) fetch, nothing new', median(fetchSame.slipway), median(fetchSame.native), 'ms', 'fetchMirror vs git fetch'),
    row(
      `c) write a ${TREE_FILES}-file commit to a folder`,
      median(tree.slipway),
      median(tree.worktree),
      'ms',
      `writeTree vs git worktree add; writeTree CPU ${Math.round(slipwayCpu)} ms; mirror has ${packs} packs`,
    ),
    row(`c) write a ${TREE_FILES}-file commit, 2nd reference`, median(tree.slipway), median(tree.archive), 'ms', 'writeTree vs git archive | tar x'),
    row(`b) compact a mirror of ${packs} packs into one`, compactMs, repackMs, 'ms', 'compactMirror (copies packs as they are) vs git repack -a -d (recomputes deltas); one run'),
  ];
}

/** d) Peak memory while the first fetch brings a ~100 MB pack of incompressible files. */
async function benchPeakRss(server: GitServer, temp: string): Promise<BenchRow[]> {
  const repo = await makeRandomRepo(server, 'big', BIG_PACK_MB);
  const packDir = join(repo.bare, 'objects/pack');
  let packBytes = 0;
  for (const f of await readdir(packDir)) if (f.endsWith('.pack')) packBytes += (await stat(join(packDir, f))).size;
  const packMb = packBytes / 1024 / 1024;

  const baseline: number[] = [];
  const slipway: number[] = [];
  const native: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = join(temp, `rss-slipway-${i}.git`);
    const n = join(temp, `rss-native-${i}.git`);
    const { stdout } = await runCmd(process.execPath, ['--import', 'tsx', rssChild, repo.url, s]);
    slipway.push(Number(stdout.trim()) / 1024);
    const { stderr } = await runCmd('/usr/bin/time', ['-v', 'git', 'clone', '-q', '--bare', repo.url, n], { env: isolatedGitEnv });
    native.push(Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]) / 1024);
    if (i === 0) baseline.push(Number((await runCmd(process.execPath, ['--import', 'tsx', rssChild])).stdout.trim()) / 1024);
    await Promise.all([s, n].map((d) => rm(d, { recursive: true, force: true })));
  }
  const peak = median(slipway);
  return [
    row(
      `d) peak RSS, first fetch of a ${Math.round(packMb)} MB pack`,
      peak,
      median(native),
      'MB',
      `slipway = ${(peak / packMb).toFixed(1)}x the pack, bound 2x pack + 80 = ${Math.round(2 * packMb + 80)} MB (Node+tsx baseline ${Math.round(baseline[0] ?? 0)} MB); native = git clone --bare`,
    ),
  ];
}

/** Runs both sides once untimed (warm-up), then RUNS times alternating which goes first. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      ta.push(await timeMs(a));
      tb.push(await timeMs(b));
    } else {
      tb.push(await timeMs(b));
      ta.push(await timeMs(a));
    }
  }
  return [median(ta), median(tb)];
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const rows = await benchGit({ only: process.argv.slice(2) });
  console.log(formatTable(rows));
  console.log(`\n(${RUNS} runs each, medians; ${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
}
