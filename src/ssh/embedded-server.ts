// An in-process SSH server on ssh2's Server: the host of `slipway demo`, and the test host where
// no sshd binary exists. Public-key auth only; commands run via `sh -c` as this process's user.
// Never call a *Sync child_process function in a process that runs this: it blocks the event
// loop that serves the very command being waited for.

import { spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection, type ParsedKey } from 'ssh2';

// ssh2 is CommonJS and Node cannot see its named exports from ESM.
const { Server, utils } = ssh2;

export function generateKeyPair(): { privateKey: string; publicKey: string } {
  // ssh2 1.17 strips leading zero bytes of an ed25519 public key, so about one pair in 256 cannot
  // be parsed back (mscdex/ssh2#1390, #1513; `slipway demo` died of it): draw again until both
  // halves parse (nine bad draws in a row: odds below 1 in 2^64).
  for (let attempt = 0; ; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'slipway' });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return { privateKey: pair.private, publicKey: pair.public };
    if (attempt >= 8) throw new Error('ssh2 generated no usable ed25519 key pair in 8 tries');
  }
}

function parsePublicKeys(lines: string[]): ParsedKey[] {
  const keys: ParsedKey[] = [];
  for (const line of lines) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const parsed = utils.parseKey(line.trim());
    if (parsed instanceof Error) throw new Error(`authorized key is not a public key line: ${parsed.message}`);
    keys.push(parsed);
  }
  return keys;
}

function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function startEmbeddedSshServer(opts: {
  hostKey: string | Buffer;
  authorizedKeys: string[];
  home: string;
  port?: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const allowed = parsePublicKeys(opts.authorizedKeys);
  const children = new Set<ChildProcess>();
  const clients = new Set<Connection>();

  const server = new Server({ hostKeys: [opts.hostKey] }, (client) => {
    clients.add(client);
    // Without TCP_NODELAY every reply waits for the peer's delayed ACK (~40 ms).
    // (ssh2 has the method; its type definitions miss it.)
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    client.on('close', () => clients.delete(client));
    client.on('error', () => client.end());
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const key = allowed.find((k) => k.type === ctx.key.algo && sameBlob(k.getPublicSSH(), ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether this key would do; with one it must prove it.
      if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept();
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      return ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let running: ChildProcess | undefined;
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const child = spawn('/bin/sh', ['-c', info.command], {
            cwd: opts.home,
            env: { ...process.env, HOME: opts.home },
            detached: true, // own process group, so the whole command can be killed
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          running = child;
          children.add(child);
          child.stdout!.pipe(stream, { end: false });
          child.stderr!.pipe(stream.stderr, { end: false });
          stream.pipe(child.stdin!);
          child.stdin!.on('error', () => {}); // the command may exit without reading its stdin
          child.on('error', (err) => {
            stream.stderr.write(`${err.message}\n`);
            stream.exit(127);
            stream.end();
          });
          // As sshd: the exit status goes out when the shell exits, even while a background
          // process it started still holds stdout (output already in the pipe gets 200 ms).
          let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
          let sent = false;
          const sendExit = (): void => {
            if (sent || !exited) return;
            sent = true;
            if (exited.signal) stream.exit(exited.signal, false, '');
            else stream.exit(exited.code ?? 255);
          };
          child.on('exit', (code, signal) => {
            exited = { code, signal };
            setTimeout(sendExit, 200).unref();
          });
          child.on('close', () => {
            children.delete(child);
            sendExit();
            stream.end();
          });
          // Unlike sshd, a command whose channel is gone is not left running here.
          stream.on('close', () => killGroup(child, 'SIGKILL'));
        });
        session.on('signal', (_accept, _reject, info) => {
          if (running) killGroup(running, `SIG${info.name}` as NodeJS.Signals);
        });
        session.on('env', (_accept, reject) => reject?.());
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (_accept, reject) => reject());
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    async close() {
      for (const child of children) killGroup(child, 'SIGKILL');
      // server.close() waits for open connections, so end them first.
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of clients) client.end();
      await closing;
    },
  };
}
