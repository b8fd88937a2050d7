// Config error messages quote what the config says (and a config can come from a git repo, see
// configRepo): an escape sequence in a value must not reach the terminal raw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSlipway } from '../helpers/slipway-cli.ts';
import { writeTempConfig } from './config-folder.ts';

test('validate prints control characters of config values as "?"', async () => {
  const folder = await writeTempConfig({
    'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy }\n',
    'config/pipelines/app.yaml': 'repo: https://git.example.com/app.git\ndeploy: { path: /srv/app }\nenvironments: [{ name: staging, hosts: ["web\\e[2J\\e]0;owned\\a\\r1"] }]\n',
  });
  try {
    const r = await runSlipway(['validate', '--config', 'config'], { cwd: folder.root, env: { HOME: folder.home } });
    assert.equal(r.code, 1);
    assert.ok(!/[\x1b\x07\r]/.test(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /unknown host "web\?\[2J\?\]0;owned\?\?1"/);
  } finally {
    await folder.remove();
  }
});
