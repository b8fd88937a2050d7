// Repos served by the test git server: a bare repo under server.root/NAME.git plus a native-git
// work clone that commits and pushes over HTTP, so every commit travels the way a real one would.
import { execFile } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { GitServer } from './git-server.ts';

const run = promisify(execFile);

export type FileSpec = string | Buffer | { content: string | Buffer; mode?: number } | null;

export interface CommitOptions {
  author?: { name: string; email: string };
  /** Pack the served repo afterwards (a served pack instead of loose objects: faster fetches). */
  gc?: boolean;
}

export interface TestRepo {
  url: string;
  workdir: string;
  bare: string;
  branch: string;
  head: string;
  /** Writes (null: deletes) files, commits, pushes over HTTP; returns the new sha. */
  commit(files: Record<string, FileSpec>, message?: string, opts?: CommitOptions): Promise<string>;
}

/** Environment that keeps the machine's global and system git config out of test repos. */
export const isolatedGitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: { ...isolatedGitEnv, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

export async function createRepo(
  server: GitServer,
  name: string,
  files: Record<string, FileSpec>,
  opts: { branch?: string; message?: string; author?: { name: string; email: string }; token?: string } = {},
): Promise<TestRepo> {
  const branch = opts.branch ?? 'main';
  const bare = join(server.root, `${name}.git`);
  const workdir = join(server.root, '.work', name);
  const url = server.repoUrl(name);
  await mkdir(workdir, { recursive: true });
  await git(server.root, ['init', '-q', '--bare', '-b', branch, bare]);
  await git(workdir, ['init', '-q', '-b', branch]);
  await git(workdir, ['config', 'user.name', 'Slipway Test']);
  await git(workdir, ['config', 'user.email', 'test@slipway.invalid']);
  await git(workdir, ['remote', 'add', 'origin', url]);
  const token = opts.token ?? server.token;
  if (token !== undefined) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    await git(workdir, ['config', 'http.extraHeader', `Authorization: Basic ${basic}`]);
  }

  const repo: TestRepo = {
    url,
    workdir,
    bare,
    branch,
    head: '',
    async commit(changes, message = 'change', commitOpts = {}) {
      await writeFiles(workdir, changes);
      await git(workdir, ['add', '-A']);
      const author = commitOpts.author ?? opts.author;
      const env = author
        ? {
            GIT_AUTHOR_NAME: author.name,
            GIT_AUTHOR_EMAIL: author.email,
            GIT_COMMITTER_NAME: author.name,
            GIT_COMMITTER_EMAIL: author.email,
          }
        : {};
      // verbatim: tests check that a message (trailing spaces, '#' lines) survives exactly.
      await git(workdir, ['commit', '-q', '--allow-empty', '--cleanup=verbatim', '-m', message], env);
      await git(workdir, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
      if (commitOpts.gc) await git(bare, ['gc', '-q']);
      repo.head = await git(workdir, ['rev-parse', 'HEAD']);
      return repo.head;
    },
  };
  await repo.commit(files, opts.message ?? 'initial commit', { gc: true, ...(opts.author ? { author: opts.author } : {}) });
  return repo;
}

async function writeFiles(workdir: string, files: Record<string, FileSpec>): Promise<void> {
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) dirs.add(dirname(join(workdir, path)));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  const entries = Object.entries(files);
  // Bounded so that 3,000-file fixtures do not run out of file descriptors.
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(([path, spec]) => writeOne(join(workdir, path), spec)));
  }
}

async function writeOne(full: string, spec: FileSpec): Promise<void> {
  await rm(full, { force: true, recursive: true });
  if (spec === null) return;
  const { content, mode } = typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec, mode: undefined } : spec;
  if (mode === 0o120000) {
    await symlink(content.toString(), full);
    return;
  }
  await writeFile(full, content);
  if (mode !== undefined) await chmod(full, mode);
}
