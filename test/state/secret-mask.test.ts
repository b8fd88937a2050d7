// The state folder's one masking choke point and its modes: whatever a writer puts in a record
// (a host's error with a step's raw command, say), the file on disk has *** instead of a secret,
// and nothing under STATE that can hold one is readable by another user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setStateSecrets } from '../../src/state/secret-mask.ts';
import { statePaths, sweepStateFolder, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import { appendAudit, auditFile } from '../../src/state/audit.ts';
import { writeInboxRequest } from '../../src/state/inbox.ts';
import { sampleRun, withTempDir } from './helpers.ts';

const SECRET = 'tok-9f8e7d6c5b4a';
const PEM = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----';

test('every state writer masks every string: runs, pipeline and host state, inbox, audit', async () => {
  await withTempDir(async (dir) => {
    setStateSecrets(dir, [SECRET, PEM]);
    const run = sampleRun({ status: 'failed', finishedAt: '2024-05-01T10:01:00.000Z', error: `deploy failed: ${SECRET}` });
    run.commit.message = `leak ${PEM.split('\n')[1]} in a message`;
    run.stages.push({
      name: 'deploy:staging', kind: 'deploy', environment: 'staging', status: 'failed', steps: [],
      hosts: [{ host: 'web1', status: 'failed', error: `step "curl -H 'Authorization: ${SECRET}' https://x": exited with code 1` }],
    });
    await writeRun(dir, run);
    await writePipelineState(dir, { version: 1, pipeline: 'app', nextRunNumber: 2, lastSeenCommit: SECRET, environments: {} });
    await writeHostState(dir, { version: 1, host: 'web1', pipelines: { [`p-${SECRET}`]: { releases: [SECRET] } } } as never);
    await writeInboxRequest(dir, { kind: 'approve', pipeline: 'app', run: 1, by: `me ${SECRET}` } as never);
    await appendAudit(dir, { version: 1, time: 't', action: 'deploy', pipeline: 'app', environment: 'staging', run: 1, commit: 'c', hosts: ['web1'], by: 'me', result: 'failed', error: JSON.stringify({ pem: PEM }) });
    const paths = statePaths(dir);
    const inbox = await readdir(paths.inbox);
    const files = [paths.runFile('app', 1), paths.pipelineFile('app'), paths.hostFile('web1'), join(paths.inbox, inbox[0]!), auditFile(dir)];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const piece of [SECRET, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', JSON.stringify(PEM).slice(1, -1)]) {
        assert.ok(!text.includes(piece), `${file} holds ${piece}:\n${text}`);
      }
      assert.match(text, /\*\*\*/, file);
      // Readable by slipway's user only, in a folder only it can enter.
      assert.equal((await stat(file)).mode & 0o777, 0o600, file);
      assert.equal((await stat(join(file, '..'))).mode & 0o777, 0o700, `${file}'s folder`);
    }
  });
});

test('a state folder made before is tightened at start; the report folder is left as it is', async () => {
  await withTempDir(async (dir) => {
    const paths = statePaths(dir);
    await mkdir(join(paths.runs, 'app'), { recursive: true, mode: 0o755 });
    await mkdir(paths.www, { recursive: true, mode: 0o755 });
    await chmod(paths.runs, 0o755);
    await chmod(paths.www, 0o755);
    await writeFile(auditFile(dir), '', { mode: 0o644 });
    await chmod(auditFile(dir), 0o644);
    await sweepStateFolder(dir);
    assert.equal((await stat(paths.runs)).mode & 0o777, 0o700);
    assert.equal((await stat(auditFile(dir))).mode & 0o777, 0o600);
    assert.equal((await stat(paths.www)).mode & 0o777, 0o755);
  });
});
