// `slipway logs` on a hand-made state folder: every step under a header, one step by id or name,
// the newest run by default, and our own messages for what does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { logsCommand } from '../../src/commands/logs.ts';
import { statePaths, writeRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';
import type { Output } from '../../src/wiring/output.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';

function run(n: number, status: RunRecord['status']): RunRecord {
  return {
    version: 1, pipeline: 'app', number: n, status, branch: 'main', trigger: 'poll', createdAt: '2026-01-01T00:00:00.000Z',
    commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'a', email: 'a@x' }, time: '2026-01-01T00:00:00.000Z' },
    stages: [{ name: 'test', kind: 'test', status: 'failed', steps: [
      { id: 'test-checkout', name: 'checkout', status: 'passed' },
      { id: 'test-1', name: 'npm test', status: 'failed' },
    ] }],
  };
}

test('slipway logs: all steps under headers, one step by id or name, the newest run by default; plain errors', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-logs-'));
  try {
    const configDir = join(work, 'config');
    await writeConfigFolder(configDir, {
      'slipway.yaml': 'stateDir: ../state\n',
      'hosts.yaml': 'web1: { address: 127.0.0.1, user: deploy }\n',
      'pipelines/app.yaml': 'repo: http://127.0.0.1:9/app.git\ntest: ["true"]\ndeploy: { path: /srv/app }\nenvironments: [{ name: production, hosts: [web1] }]\n',
    });
    const stateDir = join(work, 'state');
    for (const n of [1, 2]) {
      await writeRun(stateDir, run(n, 'failed'));
      for (const [id, text] of [['test-checkout', `wrote files of run ${n}\n`], ['test-1', `$ npm test\nrun ${n}: not ok 1 \x1b]0;evil\x07\n`]]) {
        const file = statePaths(stateDir).stepLog('app', n, id!);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text!);
      }
    }
    const output: Output = { out: () => undefined, err: () => undefined, status: (w) => w };
    const logs = async (positionals: string[], tty = false): Promise<string> => {
      let text = '';
      assert.equal(await logsCommand(configDir, { positionals, follow: false, write: (t) => (text += t), tty }, output), 0);
      return text;
    };
    assert.equal(await logs(['app']), '==> test-checkout: checkout <==\nwrote files of run 2\n\n==> test-1: npm test <==\n$ npm test\nrun 2: not ok 1 \x1b]0;evil\x07\n');
    assert.equal(await logs(['app', '1', 'test-1']), '$ npm test\nrun 1: not ok 1 \x1b]0;evil\x07\n', 'not on a terminal: the bytes as logged');
    assert.equal(await logs(['app', '1', 'npm test'], true), '$ npm test\nrun 1: not ok 1 \n', 'on a terminal: no control sequences');
    const fails: Array<[string[], RegExp]> = [
      [[], /^logs takes PIPELINE \[RUN\] \[STEP\]$/],
      [['nope'], /^no pipeline named "nope"; configured: app$/],
      [['app', '7'], /^app has no run #7 \(runs: #1…#2\)$/],
      [['app', 'x'], /^RUN must be a run number, got "x"$/],
      [['app', '2', 'deploy'], /^app #2 has no step "deploy" \(steps: test-checkout, test-1\)$/],
    ];
    for (const [args, message] of fails) await assert.rejects(logsCommand(configDir, { positionals: args, follow: false, write: () => undefined }, output), (e: Error) => message.test(e.message), args.join(' '));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
