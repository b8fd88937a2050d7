// Fixtures for the git benchmarks: a served repo in a separate process, a 3,000-file repo with
// history (deltas in the pack, as in a real project) and a repo of incompressible files.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRepo, git, type FileSpec, type TestRepo } from '../test/helpers/git-repo.ts';
import type { GitServer } from '../test/helpers/git-server.ts';

const serverScript = fileURLToPath(new URL('./lib-git-server-child.ts', import.meta.url));

export async function startServerProcess(root: string): Promise<GitServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript, root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`git server exited with ${code}`)));
  });
  const port = Number(new URL(url).port);
  return {
    url,
    root,
    port,
    repoUrl: (name) => `${url}/${name}.git`,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Text that compresses and deltifies like source code, but differs per file. */
function sourceLike(seed: number, lines: number): string {
  const words = ['const', 'value', 'return', 'function', 'await', 'import', 'export', 'if', 'else', 'config', 'deploy', 'host'];
  let x = seed * 2654435761;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const parts: string[] = [];
    for (let w = 0; w < 8; w++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      parts.push(`${words[x % words.length]}${x % 997}`);
    }
    out.push(parts.join(' '));
  }
  return `${out.join('\n')}\n`;
}

export function treePath(i: number): string {
  return `src/d${String(i % 30).padStart(2, '0')}/s${i % 5}/file-${i}.ts`;
}

/** `files` files in 150 folders, then `commits` commits that each edit 150 of them; packed. */
export async function makeTreeRepo(server: GitServer, name: string, files: number, commits: number): Promise<TestRepo> {
  const initial: Record<string, FileSpec> = {};
  for (let i = 0; i < files; i++) {
    initial[treePath(i)] = i % 50 === 0 ? { content: sourceLike(i, 30), mode: 0o755 } : sourceLike(i, 20 + (i % 40));
  }
  const repo = await createRepo(server, name, initial);
  for (let c = 1; c <= commits; c++) {
    const edits: Record<string, FileSpec> = {};
    for (let k = 0; k < 150; k++) {
      const i = (c * 150 + k * 7) % files;
      edits[treePath(i)] = `${sourceLike(i, 20 + (i % 40))}// edit ${c}\n`;
    }
    await repo.commit(edits, `edit ${c}`);
  }
  await git(repo.bare, ['gc', '-q']);
  return repo;
}

/** About `mb` MB of random (incompressible) files in one commit. */
export async function makeRandomRepo(server: GitServer, name: string, mb: number): Promise<TestRepo> {
  const files: Record<string, FileSpec> = {};
  const fileCount = 128; // > transfer.unpackLimit (100): the push stays one pack on the server
  const size = Math.ceil((mb * 1024 * 1024) / fileCount);
  for (let i = 0; i < fileCount; i++) files[`blob/${i}.bin`] = randomBytes(size);
  return createRepo(server, name, files);
}
