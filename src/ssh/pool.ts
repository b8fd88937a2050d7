// One reused SSH connection per host: opening a connection costs a handshake (tens of ms), a
// command on an open one a few ms. Handshakes wait at a StartGate (start-gate.ts) so that a
// fleet is not connected all at once.

import type { HostConfig } from '../config/types.ts';
import { SshError } from '../errors.ts';
import { connectHost, type ConnectOptions, type SshConnection } from './connection.ts';
import { processStartGate, type StartGate } from './start-gate.ts';

interface Entry {
  promise: Promise<SshConnection>;
  conn?: SshConnection;
}

export class SshPool {
  private readonly hosts: Record<string, HostConfig>;
  private readonly connect: ConnectOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly starts: StartGate;

  constructor(opts: { hosts: Record<string, HostConfig>; connect: ConnectOptions; starts?: StartGate }) {
    this.hosts = opts.hosts;
    this.connect = opts.connect;
    this.starts = opts.starts ?? processStartGate;
  }

  /** The open connection to a host; concurrent callers share one connect; a closed one is replaced. */
  get(hostName: string): Promise<SshConnection> {
    const existing = this.entries.get(hostName);
    if (existing && !existing.conn?.closed) return existing.promise;
    const host = this.hosts[hostName];
    if (!host) return Promise.reject(new SshError(hostName, 'connect', 'no such host in hosts.yaml'));
    // A host behind a jump host is reached through the pooled connection to that host.
    const jump = host.proxyJump;
    const gated = (connect: ConnectOptions) => this.starts.run(`${host.address}:${host.port}`, () => connectHost(host, connect));
    const promise = jump ? this.get(jump).then((via) => gated({ ...this.connect, via })) : gated(this.connect);
    const entry: Entry = { promise };
    this.entries.set(hostName, entry);
    entry.promise.then(
      (conn) => {
        entry.conn = conn;
      },
      () => {
        // A failed connect is not cached: the next get() tries again.
        if (this.entries.get(hostName) === entry) this.entries.delete(hostName);
      },
    );
    return entry.promise;
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        const conn = await entry.promise.catch(() => undefined);
        await conn?.close();
      }),
    );
  }
}
