// The daemon's HTTP server holds at most MAX_CONNECTIONS sockets: a client that opens sockets
// without end gets the next one closed at once, and the server answers again when they go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, MAX_CONNECTIONS } from '../../src/daemon/http-server.ts';
import { waitFor } from '../helpers/wait.ts';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves 'closed' when the server ends the socket, 'open' when it is still open at the deadline. */
function fate(s: Socket, ms: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    s.once('close', () => (clearTimeout(timer), resolve('closed')));
    s.on('error', () => undefined);
  });
}

test(`beyond ${MAX_CONNECTIONS} open connections a new one is closed at once; the server recovers`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-cap-'));
  const srv = await startHttpServer('127.0.0.1:0', {
    www: () => dir, secret: () => undefined, hasPipeline: () => false, onHook: () => undefined,
    health: () => ({}), log: () => undefined,
  });
  const port = Number(srv.address.split(':').pop());
  const held: Socket[] = [];
  try {
    for (let i = 0; i < MAX_CONNECTIONS; i++) held.push(await open(port));
    // The server counts a socket when it accepts it: wait until it holds all of ours.
    await waitFor(async () => (await new Promise<number>((r) => srv.server.getConnections((_e, n) => r(n)))) === MAX_CONNECTIONS, { timeoutMs: 10_000, what: 'every socket accepted' });
    const extra = await open(port);
    assert.equal(await fate(extra, 5_000), 'closed', 'the connection over the cap is closed by the server');
    const still = held[0]!;
    assert.equal(still.destroyed, false, 'the sockets under the cap stay open');

    for (const s of held.splice(0)) s.destroy();
    await waitFor(async () => (await new Promise<number>((r) => srv.server.getConnections((_e, n) => r(n)))) === 0, { timeoutMs: 10_000, what: 'sockets gone' });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  } finally {
    for (const s of held) s.destroy();
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  }
});
