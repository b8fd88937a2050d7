// npm run bench: every benchmark, each side by side with its native reference in the same run.
// Run `npm run build` first (the CLI under test is dist/). Pick parts: npm run bench -- git ssh
import { formatTable, type BenchRow } from './lib-git-measure.ts';

const parts: Record<string, () => Promise<BenchRow[]>> = {
  git: async () => (await import('./git.ts')).benchGit(),
  ssh: async () => (await import('./ssh.ts')).benchSsh(),
  deploy: async () => (await import('./deploy.ts')).benchDeploy(),
  fleet: async () => (await import('./fleet.ts')).benchFleet(),
  observe: async () => (await import('./observe.ts')).benchObserve(),
  report: async () => (await import('./report.ts')).benchReport(),
  sandbox: async () => (await import('./sandbox.ts')).benchSandbox(),
  ci: async () => (await import('./ci.ts')).benchCi(),
  daemon: async () => (await import('./daemon-rss.ts')).benchDaemonRss(),
  soak: async () => (await import('./daemon-soak.ts')).benchDaemonSoak(),
  recovery: async () => (await import('./recovery.ts')).benchRecovery(),
  'daemon-long': async () => (await import('./daemon.ts')).benchDaemon(),
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const rows: BenchRow[] = [];
for (const [name, fn] of Object.entries(parts)) {
  if (wanted.length && !wanted.includes(name)) continue;
  process.stderr.write(`bench: ${name} …\n`);
  rows.push(...(await fn()));
}
console.log(formatTable(rows));
process.exit(0);
