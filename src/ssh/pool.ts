// One reused SSH connection per host: opening a connection costs a handshake (tens of ms), a
// command on an open one a few ms.

import type { HostConfig } from '../config/types.ts';
import { SshError } from '../errors.ts';
import { connectHost, type ConnectOptions, type SshConnection } from './connection.ts';

interface Entry {
  promise: Promise<SshConnection>;
  conn?: SshConnection;
}

export class SshPool {
  private readonly hosts: Record<string, HostConfig>;
  private readonly connect: ConnectOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: { hosts: Record<string, HostConfig>; connect: ConnectOptions }) {
    this.hosts = opts.hosts;
    this.connect = opts.connect;
  }

  /** The open connection to a host; concurrent callers share one connect; a closed one is replaced. */
  get(hostName: string): Promise<SshConnection> {
    const existing = this.entries.get(hostName);
    if (existing && !existing.conn?.closed) return existing.promise;
    const host = this.hosts[hostName];
    if (!host) return Promise.reject(new SshError(hostName, 'connect', 'no such host in hosts.yaml'));
    // A host behind a jump host is reached through the pooled connection to that host.
    const jump = host.proxyJump;
    const promise = jump ? this.get(jump).then((via) => connectHost(host, { ...this.connect, via })) : connectHost(host, this.connect);
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
