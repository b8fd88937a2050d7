// `slipway run` says at start which sandbox test commands get; none is a warning in the journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon } from './daemon-process.ts';

for (const [setting, line] of [
  ['auto', '<5>slipway run: sandbox: bwrap (test commands see only their workspace, a private /tmp and a per-pipeline HOME)'],
  ['none', '<4>slipway run: sandbox: none: test commands run as this user and can read the SSH identity, secret files and the state folder; set sandbox: auto and install bubblewrap (docs/securing.md)'],
] as const) {
  test(`slipway run logs the sandbox in force (sandbox: ${setting})`, async () => {
    const work = await mkdtemp(join(tmpdir(), 'slipway-sandbox-notice-'));
    try {
      await writeConfigFolder(join(work, 'config'), { 'slipway.yaml': `stateDir: ../state\nsandbox: ${setting}\n` });
      const d = startDaemon(join(work, 'config'));
      try {
        await waitFor(() => d.log().includes('slipway run: sandbox'), { timeoutMs: 60_000, what: 'the sandbox line' });
        assert.ok(d.log().split('\n').includes(line), d.log());
      } finally {
        assert.equal(await d.stop('SIGTERM'), 0);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}
