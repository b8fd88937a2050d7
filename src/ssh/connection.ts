// One SSH connection to one host: connect with a strict host key check, then run commands on it
// (several at once, over channels) with a timeout that the host itself enforces.

import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Algorithms, Client, ClientChannel, ParsedKey } from 'ssh2';
import type { HostConfig } from '../config/types.ts';
import { SshError, type SshPhase } from '../errors.ts';
import { makeHostVerifier, type HostVerifier } from './known-hosts.ts';
import { loadIdentity } from './identity.ts';
import { exportEnv, quoteArg } from './quote.ts';
import { OutputTail, Semaphore } from './exec-output.ts';

export interface ExecOptions {
  timeoutMs: number;
  env?: Record<string, string>;
  /** Absolute, or "~" / "~/..." for the remote user's home. */
  cwd?: string;
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  stdin?: Buffer | NodeJS.ReadableStream;
  /** Bytes kept of stdout and of stderr (the last ones); default 1 MiB. */
  captureLimit?: number;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  timedOut: boolean;
  /** Who ended a timed-out command: the host's `timeout`, or slipway giving up on a silent channel. */
  timedOutBy?: 'host' | 'slipway';
  stdout: string;
  stderr: string;
}

export interface SshConnection {
  readonly host: string;
  exec(script: string, opts: ExecOptions): Promise<ExecResult>;
  /** A TCP stream to address:port opened from this host (what ssh -J uses to reach the next host). */
  forward(address: string, port: number): Promise<Duplex>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface ConnectOptions {
  /** Private key path; a host's own identity wins. */
  identity?: string;
  /** known_hosts file path; a host's hostKey wins. */
  knownHosts?: string;
  connectTimeoutMs: number;
  keepaliveIntervalMs?: number;
  /** Reach the host through this connection (a jump host) instead of a direct TCP connect. */
  via?: SshConnection;
}

// sshd's default MaxSessions is 10: the 11th channel on one connection fails to open.
const MAX_CHANNELS = 10;
// Grace between `timeout` sending TERM and KILL on the host.
const KILL_GRACE_S = 5;
// The local timer is a last resort for a host that stopped answering; the host's own
// `timeout` normally ends the command well before it fires.
const LOCAL_TIMER_SLACK_MS = 10_000;
const DEFAULT_CAPTURE = 1024 * 1024;
// After the command's exit status arrives, output still in flight gets this long. A background
// process it started (`nohup server &`) may hold the channel's stdout open for ever; the exit
// status, not the channel's close, ends the command.
const EXIT_DRAIN_MS = 500;
const OPEN_RETRIES = 8;

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** The command string the remote login shell receives. Exported so tests can pin it. */
export function buildRemoteCommand(script: string, opts: Pick<ExecOptions, 'timeoutMs' | 'env' | 'cwd'>): string {
  let inner = '';
  if (opts.cwd !== undefined) {
    const cwd = opts.cwd;
    // A quoted "~" would not expand; "$HOME" in double quotes does, and the rest stays quoted.
    const target = cwd === '~' ? '"$HOME"' : cwd.startsWith('~/') ? `"$HOME"/${quoteArg(cwd.slice(2))}` : quoteArg(cwd);
    inner += `cd ${target} && `;
  }
  inner += exportEnv(opts.env ?? {}) + script;
  const secs = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  // `exec` so any login shell hands over: exit status and signals arrive unchanged.
  return `exec timeout -k ${KILL_GRACE_S} ${secs}s sh -c ${quoteArg(inner)}`;
}

/** ssh2 algorithm names for key types known from known_hosts or a pinned key line. */
function hostKeyAlgorithms(keyTypes: string[]): string[] | undefined {
  const out: string[] = [];
  for (const type of keyTypes) {
    if (type === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else if (type === 'ssh-ed25519' || type.startsWith('ecdsa-sha2-nistp')) out.push(type);
    else return undefined; // a type ssh2 may not name the same way: keep its defaults
  }
  return out.length > 0 ? out : undefined;
}

function hostKeyMessage(verifier: HostVerifier, where: string): string {
  const offered = verifier.offered ?? 'nothing';
  if (verifier.revoked) return `host key ${offered} is marked @revoked in ${verifier.source}; refusing ${where}`;
  if (verifier.expected.length === 0) {
    return `no known host key for ${where} (offered ${offered}); add it to known_hosts or set hostKey`;
  }
  const from = verifier.source === 'hostKey' ? 'hostKey' : `known_hosts ${verifier.source}`;
  const fix = verifier.source === 'hostKey' ? 'hostKey' : 'known_hosts';
  return (
    `host key mismatch: expected ${verifier.expected.join(' or ')} (from ${from}), offered ${offered}; ` +
    `if the host was reinstalled, update ${fix}`
  );
}

export async function connectHost(host: HostConfig, opts: ConnectOptions): Promise<SshConnection> {
  const where = `${host.address}:${host.port}`;
  const fail = (phase: SshPhase, message: string, cause?: unknown): SshError =>
    new SshError(host.name, phase, message, cause === undefined ? undefined : { cause });

  let verifier: HostVerifier;
  try {
    verifier = makeHostVerifier({ address: host.address, port: host.port, knownHostsFile: opts.knownHosts, pinned: host.hostKey });
  } catch (err) {
    throw fail('host key', (err as Error).message, err);
  }
  const identity = host.identity ?? opts.identity;
  let privateKey: ParsedKey | undefined;
  if (identity !== undefined) {
    const loaded = await loadIdentity(identity);
    if ('problem' in loaded) {
      // ssh2 used to throw the parse errors from connect(): the same words as then.
      throw fail('auth', `cannot ${loaded.problem === 'read' ? 'read' : 'use'} identity ${identity}: ${loaded.message}`, loaded.cause);
    }
    privateKey = loaded.key;
  }

  // Loaded on first use: ssh2 costs ~14 MB of RSS, and test-only pipelines never connect.
  const { default: ssh2 } = await import('ssh2');
  const client = new ssh2.Client();
  let tcpConnected = false;
  let sock: Duplex;
  if (opts.via) {
    // Through a jump host: the TCP leg starts on that host, and our host key check still
    // applies end to end (the jump host only relays bytes).
    try {
      sock = await opts.via.forward(host.address, host.port);
    } catch (err) {
      throw fail('connect', `cannot reach ${where} through jump host ${opts.via.host}: ${(err as Error).message}`, err);
    }
    tcpConnected = true;
  } else {
    const tcp = netConnect({ host: host.address, port: host.port, noDelay: true });
    tcp.once('connect', () => {
      tcpConnected = true;
    });
    sock = tcp;
  }
  const limit = formatMs(opts.connectTimeoutMs);

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: SshError): void => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        sock.destroy();
        reject(err);
      } else resolve();
    };
    client.once('ready', () => settle());
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      if (verifier.offered !== undefined && /Host denied/.test(err.message)) {
        settle(fail('host key', hostKeyMessage(verifier, where), err));
      } else if (err.level === 'client-authentication') {
        const how = identity !== undefined ? `with key ${identity}` : 'without a key (set ssh.identity or the host identity)';
        settle(fail('auth', `${host.user}@${where} refused ${how}: ${err.message}`, err));
      } else if (err.level === 'client-timeout') {
        settle(
          tcpConnected
            ? fail('handshake', `${where} accepted the connection but no SSH handshake completed within ${limit}`, err)
            : fail('connect', `cannot connect to ${where}: timed out after ${limit}`, err),
        );
      } else if (!tcpConnected) {
        settle(fail('connect', `cannot connect to ${where}: ${err.code ?? err.message}`, err));
      } else {
        settle(fail('handshake', `SSH handshake with ${where} failed: ${err.message}`, err));
      }
    });
    client.once('close', () => settle(fail('handshake', `${where} closed the connection during the SSH handshake`)));
    const serverHostKey = hostKeyAlgorithms(verifier.keyTypes);
    const config = {
      sock,
      username: host.user,
      // With a key, publickey straight away: ssh2's default tries `none` first, one more round
      // trip (and a failed auth in sshd's log) per connection. Without one, `none` as before.
      authHandler: privateKey ? [{ type: 'publickey' as const, username: host.user, key: privateKey }] : ['none' as const],
      readyTimeout: opts.connectTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (blob: Buffer) => verifier.verify(blob),
      // Offer only the key types we can check, as OpenSSH does, so a host that also has another
      // key type is not refused for negotiating that one.
      ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as Algorithms['serverHostKey'] } } : {}),
    };
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws at once for a key it cannot use (unknown format, passphrase-protected).
      settle(fail('auth', `cannot use identity ${identity}: ${(err as Error).message}`, err));
    }
  });

  return openConnection(host.name, client);
}

function openConnection(hostName: string, client: Client): SshConnection {
  const channels = new Semaphore(MAX_CHANNELS);
  const pending = new Set<(err: SshError) => void>();
  let closed = false;
  let lostError: SshError | undefined;
  const closedPromise = new Promise<void>((resolve) => {
    client.once('close', () => {
      closed = true;
      lostError ??= new SshError(hostName, 'command', 'connection lost');
      channels.failAll(lostError);
      for (const reject of pending) reject(lostError);
      pending.clear();
      resolve();
    });
  });
  // After ready, errors surface through 'close' and the pending execs; keep them from crashing.
  client.on('error', (err: Error) => {
    lostError ??= new SshError(hostName, 'command', `connection lost: ${err.message}`, { cause: err });
  });

  async function exec(script: string, opts: ExecOptions): Promise<ExecResult> {
    if (closed) throw lostError ?? new SshError(hostName, 'command', 'connection closed');
    let command: string;
    try {
      command = buildRemoteCommand(script, opts);
    } catch (err) {
      throw new SshError(hostName, 'command', (err as Error).message, { cause: err });
    }
    await channels.acquire();
    try {
      return await runChannel(command, opts);
    } finally {
      channels.release();
    }
  }

  function runChannel(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = new OutputTail(opts.captureLimit ?? DEFAULT_CAPTURE);
      const stderr = new OutputTail(opts.captureLimit ?? DEFAULT_CAPTURE);
      let code: number | null = null;
      let signal: string | undefined;
      let localTimeout = false;
      let channel: ClientChannel | undefined;
      let done = false;
      let drain: NodeJS.Timeout | undefined;
      const finish = (err?: SshError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(drain);
        pending.delete(finish);
        if (err) return reject(err);
        const byHost = code === 124 || code === 137;
        const timedOut = localTimeout || byHost;
        resolve({ code, ...(signal !== undefined ? { signal } : {}), timedOut, ...(timedOut ? { timedOutBy: localTimeout ? 'slipway' : 'host' } : {}), stdout: stdout.text(), stderr: stderr.text() });
      };
      pending.add(finish);
      const timer = setTimeout(() => {
        localTimeout = true;
        channel?.close();
        finish();
      }, opts.timeoutMs + KILL_GRACE_S * 1000 + LOCAL_TIMER_SLACK_MS);

      const open = (attempt: number): void => {
        client.exec(command, (err, stream) => {
          if (err) {
            // sshd frees a session slot only after it has reaped the command, a moment after the
            // channel closed, and a host may set MaxSessions below 10: retry a refused open.
            if (!done && !closed && /open failed/i.test(err.message) && attempt < OPEN_RETRIES) {
              setTimeout(() => open(attempt + 1), Math.min(500, 20 * 2 ** attempt));
              return;
            }
            return finish(new SshError(hostName, 'command', `cannot open a channel: ${err.message}`, { cause: err }));
          }
          attach(stream);
        });
      };
      const attach = (stream: ClientChannel): void => {
        if (done) return stream.close();
        channel = stream;
        stream.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          opts.onStdout?.(chunk);
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          stderr.push(chunk);
          opts.onStderr?.(chunk);
        });
        stream.on('exit', (exitCode: number | null, exitSignal?: string) => {
          code = exitCode;
          if (exitSignal) signal = exitSignal;
          drain = setTimeout(() => {
            stream.close();
            finish();
          }, EXIT_DRAIN_MS);
        });
        stream.on('error', () => undefined); // surfaces as a close without an exit status
        stream.on('close', () => {
          // A channel closed by a dying connection has no exit status: report the loss instead.
          if (code === null && signal === undefined && !localTimeout) {
            setImmediate(() => finish(closed ? lostError : undefined));
          } else finish();
        });
        if (Buffer.isBuffer(opts.stdin)) stream.end(opts.stdin);
        else if (opts.stdin) opts.stdin.pipe(stream);
        else stream.end();
      };
      open(0);
    });
  }

  function forward(address: string, port: number): Promise<Duplex> {
    if (closed) return Promise.reject(lostError ?? new SshError(hostName, 'command', 'connection closed'));
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  return {
    host: hostName,
    get closed() {
      return closed;
    },
    exec,
    forward,
    async close() {
      if (!closed) {
        lostError ??= new SshError(hostName, 'command', 'connection closed by slipway');
        client.end();
        // A peer that never answers our disconnect must not hold close() forever.
        const force = setTimeout(() => client.destroy(), 2000);
        await closedPromise;
        clearTimeout(force);
      }
    },
  };
}
