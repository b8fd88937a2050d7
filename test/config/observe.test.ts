// observe: and selfHeal: as written → as resolved, and their mistakes as located messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { observeOf } from '../../src/config/observe.ts';
import { writeTempConfig } from './config-folder.ts';

const HOSTS = 'web1: { address: 10.0.0.11, user: deploy }\n';

async function load(pipeline: string) {
  const folder = await writeTempConfig({ 'config/slipway.yaml': 'concurrency: 2\n', 'config/hosts.yaml': HOSTS, 'config/pipelines/app.yaml': pipeline });
  try {
    return await loadConfig(folder.dir, { env: { HOME: folder.home }, cwd: folder.root });
  } finally {
    await folder.remove();
  }
}

const base = 'repo: https://git.example.com/acme/app.git\ndeploy: { path: /srv/app }\n';

test('observe: default 1m; a pipeline duration; the environment wins whole; false is off; the map form; selfHeal', async () => {
  const config = await load(
    `${base}observe: 30s\nenvironments:\n` +
      '  - { name: a, hosts: [web1] }\n' +
      '  - { name: b, hosts: [web1], observe: false }\n' +
      '  - { name: c, hosts: [web1], observe: { every: 5s, files: [/etc/app.env, ~/app/shared/.env], service: app.service }, selfHeal: true }\n' +
      '  - { name: d, hosts: [web1], observe: { files: [/etc/x] } }\n',
  );
  const [a, b, c, d] = config.pipelines[0]!.environments;
  assert.deepEqual(observeOf(a!), { everyMs: 30_000, files: [] });
  assert.equal(observeOf(b!), undefined);
  assert.deepEqual(observeOf(c!), { everyMs: 5000, files: ['/etc/app.env', '~/app/shared/.env'], service: 'app.service' });
  assert.deepEqual(observeOf(d!), { everyMs: 60_000, files: ['/etc/x'] }, 'the map form without every: 1m');
  assert.equal(a!.selfHeal, undefined);
  assert.equal(c!.selfHeal, true);
  const plain = await load(`${base}environments: [{ name: a, hosts: [web1] }]\n`);
  const env = plain.pipelines[0]!.environments[0]!;
  assert.equal(env.observe, undefined, 'not written: the resolved config is as before');
  assert.deepEqual(observeOf(env), { everyMs: 60_000, files: [] });
});

test('observe and selfHeal mistakes: FILE:LINE:COL and what to write', async () => {
  const err = await load(
    `${base}observe: { evry: 1m }\nenvironments:\n  - { name: a, hosts: [web1], observe: 5, selfHeal: yes }\n  - { name: b, hosts: [web1], observe: { files: [etc/x] } }\n`,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.message.split('\n'), [
    'config/pipelines/app.yaml:3:12: observe.evry: unknown key; did you mean "every"?',
    'config/pipelines/app.yaml:5:40: environments[0].observe: expected a duration like 30s, 10m or 1h, got number 5; write it with a unit, like 5s',
    'config/pipelines/app.yaml:5:53: environments[0].selfHeal: expected true or false, got string "yes"',
    'config/pipelines/app.yaml:6:40: environments[1].observe: a map matches none of the allowed forms',
  ]);
});
