// A request the daemon had started a run for (its answer says `started`) when it was killed -9 is
// not acted on again at the next start: that run is recovery's (interrupted, re-run once), and a
// second run of the same commit would break "one run per commit".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeInboxAnswer, writeInboxRequest } from '../../src/state/inbox.ts';
import { startInboxWatch } from '../../src/daemon/inbox-watch.ts';
import { RunQueue, type Dispatch } from '../../src/daemon/queue.ts';
import { createLogger } from '../../src/daemon/log.ts';
import type { Generation } from '../../src/daemon/execute.ts';
import type { Poller } from '../../src/daemon/poller.ts';
import { waitFor } from '../helpers/wait.ts';

test('a request whose run had started before a kill -9 is left to recovery, a fresh one is taken', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'slipway-inbox-restart-'));
  const dispatched: Dispatch[] = [];
  const queue = new RunQueue({ concurrency: 1, execute: async (d) => void dispatched.push(d) });
  let log = '';
  const logger = createLogger({ level: 'debug', journald: false, write: (t) => (log += t) });
  // Only what the watch reads before it acts: the TTL, a pipeline, a report to rewrite.
  const generation = (() => ({
    ctx: { config: { settings: { inboxTtlMs: 3_600_000 } }, report: async () => undefined },
    pipeline: () => undefined,
  })) as unknown as () => Generation;
  try {
    const old = await writeInboxRequest(stateDir, { kind: 'approve', pipeline: 'app', run: 7, by: 'ops' });
    await writeInboxAnswer(stateDir, { id: old.id, state: 'started', pipeline: 'app', run: 7 });
    const watch = startInboxWatch({ stateDir, log: logger, generation, queue, poller: {} as Poller, active: new Map() });
    try {
      await waitFor(() => !existsSync(old.file), { timeoutMs: 10_000, what: 'the started request removed' });
      assert.match(log, /already started run #7 before a restart; left to recovery/);
      assert.equal(dispatched.length, 0, 'nothing queued again');
      // A request nobody took yet is still acted on (here refused: the pipeline is unknown).
      const fresh = await writeInboxRequest(stateDir, { kind: 'approve', pipeline: 'app', run: 8, by: 'ops' });
      await waitFor(() => !existsSync(fresh.file), { timeoutMs: 10_000, what: 'the fresh request handled' });
      assert.match(log, /approve for unknown pipeline "app" ignored/);
    } finally {
      await watch.stop();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
