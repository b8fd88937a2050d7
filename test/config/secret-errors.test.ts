// Every config error path that can quote a value, fed a value that came from a secret: the
// message names the place and the problem, never any part of the secret (not cut, not
// JSON-escaped, not URL-encoded). And a YAML alias bomb is a located config error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { writeTempConfig } from './config-folder.ts';

const HOSTS = 'web1: { address: 10.0.0.11, user: deploy }\n';
const pipeline = (lines: string[]) =>
  ['repo: https://git.example.com/acme/app.git', 'deploy: { path: /srv/app }', 'environments: [{ name: staging, hosts: [web1] }]', ...lines, ''].join('\n');

// 90 characters: longer than the 57 a message used to show of a value.
const TOKEN = 'ghp_' + 'Zq8xW2vN4mK7pL1sR9tY3uB6cD0eF5gH'.repeat(3).slice(0, 86);
const QUOTED = 'pa"ss\\word\nsecond line of it with "quotes"';

interface Case {
  name: string;
  files: Record<string, string>;
  secret: string;
  /** What the message must still say: file:line:col and the key. */
  where: RegExp;
}

const cases: Case[] = [
  { name: 'pattern: a repo URL with the token as userinfo', secret: TOKEN,
    files: { 'config/pipelines/app.yaml': pipeline(['branch: main']).replace('repo: https://git.example.com/acme/app.git', 'repo: "https://x:${env:S}@git example.com/app.git"') },
    where: /^config\/pipelines\/app\.yaml:1:7: repo: expected an http/ },
  { name: 'pattern: a long token where a URL belongs', secret: `not a url ${TOKEN}`,
    files: { 'config/pipelines/app.yaml': pipeline([]).replace('repo: https://git.example.com/acme/app.git', 'repo: "${env:S}"') },
    where: /^config\/pipelines\/app\.yaml:1:7: repo: expected/ },
  { name: 'type: a secret where a number belongs', secret: TOKEN,
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy, port: "${env:S}" }\n' },
    where: /^config\/hosts\.yaml:1:\d+: web1\.port: expected an integer/ },
  { name: 'enum: a secret as approval', secret: TOKEN,
    files: { 'config/pipelines/app.yaml': pipeline([]).replace('hosts: [web1] }', 'hosts: [web1], approval: "${env:S}" }') },
    where: /^config\/pipelines\/app\.yaml:3:\d+: environments\[0\]\.approval: expected one of auto, manual/ },
  { name: 'pattern: quotes and a newline (JSON-escaped in the message)', secret: QUOTED,
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: "${env:S}" }\n' },
    where: /^config\/hosts\.yaml:1:\d+: web1\.user: expected a login name/ },
  { name: 'cron: a secret as poll', secret: QUOTED,
    files: { 'config/pipelines/app.yaml': pipeline(['poll: "${env:S}"']) },
    where: /^config\/pipelines\/app\.yaml:4:7: poll: .* is not a valid cron expression/ },
  { name: 'rules: a secret as an environment host', secret: 'host-secret-name',
    files: { 'config/pipelines/app.yaml': pipeline([]).replace('hosts: [web1]', 'hosts: ["${env:S}"]') },
    where: /^config\/pipelines\/app\.yaml:3:\d+: environments\[0\]\.hosts\[0\]: unknown host/ },
  { name: 'type: a ${file:} secret where a list belongs', secret: TOKEN,
    files: { 'config/pipelines/app.yaml': pipeline(['test: "${file:token}"']), token: `${TOKEN}\n` },
    where: /^config\/pipelines\/app\.yaml:4:7: test: expected a list/ },
];

/** No 6-character piece of the secret (nor of its JSON or URL form) survives in the text. */
function assertNoPiece(text: string, secret: string): void {
  for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
    for (let i = 0; i + 6 <= form.length; i++) {
      const piece = form.slice(i, i + 6);
      assert.ok(!text.includes(piece), `message shows ${JSON.stringify(piece)} of the secret:\n${text}`);
    }
  }
}

for (const c of cases) {
  test(`config error without the secret: ${c.name}`, async () => {
    const folder = await writeTempConfig({ 'config/hosts.yaml': HOSTS, 'config/pipelines/app.yaml': pipeline([]), ...prefixed(c.files) });
    try {
      const error = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home, S: c.secret } }).then(
        () => assert.fail('the config loaded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, c.where);
      assertNoPiece(error.message, c.secret);
    } finally {
      await folder.remove();
    }
  });
}

function prefixed(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k.startsWith('config/') ? k : `config/${k}`, v]));
}

test('a YAML alias bomb is a located config error, not an internal error', async () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', ''].join('\n');
  const folder = await writeTempConfig({ 'config/hosts.yaml': bomb });
  try {
    const error = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home } }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, 'config/hosts.yaml:2:8: YAML: too many aliases (an alias bomb?); expand the repeated parts or use fewer aliases');
  } finally {
    await folder.remove();
  }
});

test('an alias without its anchor is said as such, at the alias', async () => {
  const folder = await writeTempConfig({ 'config/hosts.yaml': 'web1: &web { address: 127.0.0.1 }\nweb2: *nope\n' });
  try {
    const error = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home } }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /^config\/hosts\.yaml:2:7: YAML: unknown alias \*nope; define its anchor \(&nope\) before the alias$/m);
  } finally {
    await folder.remove();
  }
});
