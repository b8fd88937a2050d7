import { execa } from 'execa';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { startGitHttpServer, type GitHttpServer } from '../git/http-server.ts';
import { generateKeyPair, startEmbeddedSshServer } from '../ssh/embedded-server.ts';
import type { SampleFiles } from './sample-app.ts';

// Everything the demo needs, on 127.0.0.1 only: a git smart-HTTP server, two embedded SSH hosts
// (each with its own home folder as its whole world), keys and known_hosts, and a repo.

export interface DemoHost {
  name: string;
  port: number;
  appPort: number;
  home: string;
  close(): Promise<void>;
}

export interface DemoWorld {
  root: string;
  git: GitHttpServer;
  repoUrl: string;
  hosts: DemoHost[];
  identityFile: string;
  knownHostsFile: string;
  commit(files: SampleFiles, message: string): Promise<string>;
  close(): Promise<void>;
}

export async function createDemoWorld(root: string, hostNames: string[]): Promise<DemoWorld> {
  const git = await startGitHttpServer({ root: join(root, 'git-server') });
  const hosts: DemoHost[] = [];
  const close = async (): Promise<void> => {
    for (const h of hosts) {
      await stopApp(h.home);
      await h.close();
    }
    await git.close();
  };
  try {
    return await makeWorld(root, hostNames, git, hosts, close);
  } catch (err) {
    // Servers already listening would keep the process alive after its error: `demo` hung.
    await close().catch(() => undefined);
    throw err;
  }
}

async function makeWorld(root: string, hostNames: string[], git: GitHttpServer, hosts: DemoHost[], close: () => Promise<void>): Promise<DemoWorld> {
  const client = generateKeyPair();
  const identityFile = join(root, 'keys', 'id_ed25519');
  await mkdir(dirname(identityFile), { recursive: true });
  await writeFile(identityFile, client.privateKey, { mode: 0o600 });
  const knownHostsFile = join(root, 'keys', 'known_hosts');
  const known: string[] = [];
  for (const name of hostNames) {
    const hostKey = generateKeyPair();
    const home = join(root, 'hosts', name);
    await mkdir(home, { recursive: true });
    const appPort = await freePort();
    const server = await startEmbeddedSshServer({ hostKey: hostKey.privateKey, authorizedKeys: [client.publicKey], home });
    hosts.push({ name, port: server.port, appPort, home, close: () => server.close() });
    known.push(`[127.0.0.1]:${server.port} ${hostKey.publicKey.split(' ').slice(0, 2).join(' ')}`);
  }
  await writeFile(knownHostsFile, known.join('\n') + '\n');

  const bare = join(git.root, 'demo-app.git');
  const work = join(root, 'demo-app');
  const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Demo Dev', GIT_AUTHOR_EMAIL: 'dev@demo.invalid', GIT_COMMITTER_NAME: 'Demo Dev', GIT_COMMITTER_EMAIL: 'dev@demo.invalid' };
  const run = (cwd: string, args: string[]) => execa('git', args, { cwd, env });
  await mkdir(work, { recursive: true });
  await run(root, ['init', '-q', '--bare', '-b', 'main', bare]);
  await run(work, ['init', '-q', '-b', 'main']);
  await run(work, ['remote', 'add', 'origin', git.repoUrl('demo-app')]);

  const commit = async (files: SampleFiles, message: string): Promise<string> => {
    for (const [rel, f] of Object.entries(files)) {
      await mkdir(dirname(join(work, rel)), { recursive: true });
      await writeFile(join(work, rel), f.content);
      await chmod(join(work, rel), f.mode ?? 0o644);
    }
    await run(work, ['add', '-A']);
    await run(work, ['commit', '-q', '-m', message]);
    await run(work, ['push', '-q', 'origin', 'main']);
    // A packed repo is served as one pack instead of many loose objects: faster to fetch.
    await run(bare, ['gc', '-q']);
    return (await run(work, ['rev-parse', 'HEAD'])).stdout.trim();
  };

  return {
    root,
    git,
    repoUrl: git.repoUrl('demo-app'),
    hosts,
    identityFile,
    knownHostsFile,
    commit,
    close,
  };
}

export async function appAnswer(port: number): Promise<string | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/health`)).text()).trim();
  } catch {
    return undefined;
  }
}

async function stopApp(home: string): Promise<void> {
  try {
    const pid = Number((await readFile(join(home, 'app', 'shared', 'app.pid'), 'utf8')).trim());
    if (pid > 0) process.kill(pid, 'SIGTERM');
  } catch {
    // never started, or already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
