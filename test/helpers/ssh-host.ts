// Test SSH hosts on 127.0.0.1: a private OpenSSH sshd per host (the real thing), or the embedded
// ssh2 server where no sshd binary exists. Everything lives in temp dirs that are removed when
// the test process exits; servers still running then are killed by pid.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostConfig } from '../../src/config/types.ts';
import { startEmbeddedSshServer } from '../../src/ssh/embedded-server.ts';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface TestHost {
  name: string;
  address: '127.0.0.1';
  port: number;
  user: string;
  kind: 'openssh' | 'embedded';
  /** A fresh temp dir owned by the test, for deploy paths; also the HOME of commands run there. */
  root: string;
  /** "ssh-ed25519 AAAA..." */
  hostKeyLine: string;
  hostConfig(overrides?: Partial<HostConfig>): HostConfig;
  stop(): Promise<void>;
  /** Restart after stop(), same port and key. */
  start?(): Promise<void>;
}

export interface TestKeys {
  identityFile: string;
  publicKey: string;
  /** Every started host's key is appended here as "[127.0.0.1]:PORT ssh-ed25519 ...". */
  knownHostsFile: string;
}

const tempDirs: string[] = [];
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
let embeddedNoticeShown = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      } catch {}
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

async function makeTempDir(): Promise<string> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  tempDirs.push(dir);
  return dir;
}

async function sshKeygen(file: string, comment: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

export async function createTestKeys(dir?: string): Promise<TestKeys> {
  const base = dir ?? (await makeTempDir());
  const identityFile = join(base, 'id_ed25519');
  const publicKey = await sshKeygen(identityFile, 'slipway-test');
  const knownHostsFile = join(base, 'known_hosts');
  await writeFile(knownHostsFile, '');
  return { identityFile, publicKey, knownHostsFile };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True once something on the port sends an SSH banner. */
function probeBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.startsWith('SSH-2.0')) done(true);
    });
    sock.on('close', () => done(data.startsWith('SSH-2.0')));
  });
}

async function waitForSsh(port: number, child: ChildProcess | undefined, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    if (await probeBanner(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no SSH server on 127.0.0.1:${port} after 10s: ${log()}`);
}

async function addKnownHost(keys: TestKeys, port: number, hostKeyLine: string, hash: boolean, dir: string): Promise<void> {
  let line = `[127.0.0.1]:${port} ${hostKeyLine}\n`;
  if (hash) {
    // Hash with OpenSSH itself, so tests check our reader against the real format.
    const file = join(dir, 'known_hosts.hash');
    await writeFile(file, line);
    await run('ssh-keygen', ['-H', '-f', file]);
    line = await readFile(file, 'utf8');
  }
  await appendFile(keys.knownHostsFile, line);
}

function sshdConfig(o: { port: number; dir: string; authorizedKeys: string; home: string; extra?: string[] }): string {
  const lines = [
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(o.dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    'LogLevel ERROR',
    // Each test host gets a home of its own, as separate machines would: `~/app` deploy paths
    // then differ per host, and the machine's own ~/.bashrc (pyenv init: ~150 ms) stays out.
    `SetEnv HOME=${o.home}`,
  ];
  if (existsSync('/usr/lib/openssh/sftp-server')) lines.push('Subsystem sftp /usr/lib/openssh/sftp-server');
  lines.push(...(o.extra ?? []));
  return lines.join('\n') + '\n';
}

/** Pids of every process below `pid` (by parent pid, read from /proc). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 is the parent pid; field 2 (comm) may contain spaces, so split after its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function signalPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/**
 * Stops sshd like a host going down: the listener, the per-connection sshd processes (they
 * outlive the listener otherwise) and the commands they run; only daemonised ones escape.
 */
async function stopSshd(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tree = await descendants(child.pid);
  signalPids([child.pid, ...tree], 'SIGTERM');
  const timer = setTimeout(() => signalPids([child.pid!, ...tree], 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // Sessions that ignored SIGTERM: a host that goes down does not wait for them.
  signalPids(tree, 'SIGKILL');
  liveChildren.delete(child);
}

export async function startTestHost(
  keys: TestKeys,
  opts: { name?: string; hashKnownHosts?: boolean; kind?: 'openssh' | 'embedded'; sshdOptions?: string[] } = {},
): Promise<TestHost> {
  const dir = await makeTempDir();
  const root = join(dir, 'root');
  await mkdir(root);
  const name = opts.name ?? 'test-host';
  const user = userInfo().username;
  const port = await freePort();
  const kind = opts.kind ?? (existsSync(SSHD) ? 'openssh' : 'embedded');
  if (kind === 'embedded' && opts.kind === undefined) {
    if (process.env.SLIPWAY_REQUIRE_SSHD === '1') throw new Error(`${SSHD} is required (SLIPWAY_REQUIRE_SSHD=1) but does not exist`);
    if (!embeddedNoticeShown) process.stderr.write('ssh-host: no /usr/sbin/sshd, using the embedded ssh2 server\n');
    embeddedNoticeShown = true;
  }

  const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
  const hostKeyLine = (await sshKeygen(hostKeyFile, 'slipway-test-host')).split(/\s+/).slice(0, 2).join(' ');
  const hostConfig = (overrides: Partial<HostConfig> = {}): HostConfig => ({
    name,
    address: '127.0.0.1',
    port,
    user,
    env: {},
    ...overrides,
  });

  let startFn: () => Promise<void>;
  let stopFn: () => Promise<void>;
  if (kind === 'openssh') {
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, keys.publicKey + '\n');
    const config = join(dir, 'sshd_config');
    await writeFile(config, sshdConfig({ port, dir, authorizedKeys, home: root, extra: opts.sshdOptions ?? [] }));
    if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true });
    let child: ChildProcess | undefined;
    startFn = async () => {
      let log = '';
      const proc = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr!.on('data', (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
      });
      child = proc;
      liveChildren.add(proc);
      proc.once('exit', () => liveChildren.delete(proc));
      try {
        await waitForSsh(port, proc, () => log);
      } catch (err) {
        await stopSshd(proc);
        throw err;
      }
    };
    stopFn = async () => {
      if (child) await stopSshd(child);
      child = undefined;
    };
  } else {
    const home = root;
    const hostKey = await readFile(hostKeyFile);
    let server: { close(): Promise<void> } | undefined;
    startFn = async () => {
      server = await startEmbeddedSshServer({ hostKey, authorizedKeys: [keys.publicKey], home, port });
      await waitForSsh(port, undefined, () => 'embedded server');
    };
    stopFn = async () => {
      await server?.close();
      server = undefined;
    };
  }
  await startFn();
  await addKnownHost(keys, port, hostKeyLine, opts.hashKnownHosts === true, dir);
  return { name, address: '127.0.0.1', port, user, kind, root, hostKeyLine, hostConfig, stop: stopFn, start: startFn };
}

/** Accepts TCP connections and never says a word: a host whose SSH handshake never completes. */
export async function startSilentTcpServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
