// Commands that only read the state (status, stats, logs) or hand a request to the running daemon
// (deploy, rollback, trigger, approve, cancel, report) work from an operator's shell that lacks
// the daemon's secrets; commands that would use them (once, plan, validate) still refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { runSlipway } from '../helpers/slipway-cli.ts';
import { writeTempConfig } from './config-folder.ts';

const FILES = {
  'config/slipway.yaml': 'stateDir: ../state\n',
  'config/hosts.yaml': 'web1: { address: 127.0.0.1, user: deploy, env: { TOKEN: "${env:DAEMON_ONLY_TOKEN}" } }\n',
  'config/pipelines/app.yaml': ['repo: https://git.example.com/acme/app.git', 'test: ["true"]', 'deploy: { path: /srv/app }', 'environments: [{ name: staging, hosts: [web1] }]', ''].join('\n'),
  'home/.ssh/id_ed25519': 'not a real key\n',
  'home/.ssh/known_hosts': '',
};

test('a secret missing from the environment: an error by default, its own text with missingSecrets: keep', async () => {
  const folder = await writeTempConfig(FILES);
  try {
    const strict = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home } }).then(() => undefined, (e: unknown) => e);
    assert.ok(strict instanceof ConfigError, String(strict));
    assert.match(strict.message, /^config\/hosts\.yaml:1:\d+: web1\.env\.TOKEN: environment variable DAEMON_ONLY_TOKEN is not set/);
    const kept = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home }, missingSecrets: 'keep' });
    assert.equal(kept.hosts.web1?.env.TOKEN, '${env:DAEMON_ONLY_TOKEN}');
    assert.deepEqual(kept.secrets, []);
  } finally {
    await folder.remove();
  }
});

test('status, stats and logs run in a shell without the daemon\'s secrets; once still refuses', async () => {
  const folder = await writeTempConfig(FILES);
  try {
    const env = { HOME: folder.home, PATH: process.env.PATH ?? '' };
    for (const args of [['status'], ['stats'], ['status', '--json']]) {
      const r = await runSlipway(args, { cwd: folder.root, env });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /DAEMON_ONLY_TOKEN/);
    }
    const logs = await runSlipway(['logs', 'app'], { cwd: folder.root, env });
    assert.doesNotMatch(logs.stderr, /is not set/, logs.stderr);
    const once = await runSlipway(['once'], { cwd: folder.root, env });
    assert.equal(once.code, 1);
    assert.match(once.stderr, /environment variable DAEMON_ONLY_TOKEN is not set/);
  } finally {
    await folder.remove();
  }
});
