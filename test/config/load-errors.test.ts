// Every kind of config problem, one at a time, with the exact message a user reads.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, MissingConfigFolder } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { writeTempConfig } from './config-folder.ts';

const SETTINGS = 'concurrency: 2\n';
const HOSTS = [
  'web1: { address: 10.0.0.11, user: deploy }',
  'web2: { address: 10.0.0.12, user: deploy }',
  '',
].join('\n');
const APP = [
  'repo: https://git.example.com/acme/app.git',
  'deploy:',
  '  path: /srv/app',
  'environments:',
  '  - { name: staging, hosts: [web1] }',
  '',
].join('\n');

interface Case {
  name: string;
  /** Files over the valid base (config/slipway.yaml, config/hosts.yaml, config/pipelines/app.yaml); null removes one. */
  files: Record<string, string | null>;
  env?: Record<string, string>;
  /** Expected lines; HOME stands for the temp HOME, ROOT for the temp root. */
  expected: string[];
}

const cases: Case[] = [
  {
    name: 'report.url that is not a URL',
    files: { 'config/slipway.yaml': 'report: { url: ci.example.com/slipway }\n' },
    expected: ['config/slipway.yaml:1:16: report.url: expected an http:// or https:// URL, got string "ci.example.com/slipway"; the address people open the report at, like https://ci.example.com/slipway/'],
  },
  {
    name: 'unknown key with a near miss',
    files: { 'config/slipway.yaml': 'conncurrency: 3\n' },
    expected: ['config/slipway.yaml:1:1: conncurrency: unknown key; did you mean "concurrency"?'],
  },
  {
    name: 'unknown key without a near miss',
    files: { 'config/slipway.yaml': 'report: { title: x, colour: red }\n' },
    expected: ['config/slipway.yaml:1:21: report.colour: unknown key; expected one of: title, url'],
  },
  {
    name: 'wrong type: a quoted number',
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy }\nweb2:\n  address: 10.0.0.12\n  port: "2222"\n  user: deploy\n' },
    expected: ['config/hosts.yaml:4:9: web2.port: expected an integer, got string "2222"; write it without quotes'],
  },
  {
    name: 'wrong type: a number where a string goes',
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy, env: { PORT: 3001 } }\nweb2: { address: 10.0.0.12, user: deploy }\n' },
    expected: ['config/hosts.yaml:1:56: web1.env.PORT: expected a string, got number 3001; put it in quotes'],
  },
  {
    name: 'wrong type: a string where a list goes',
    files: { 'config/pipelines/app.yaml': `${APP}test: npm test\n` },
    expected: ['config/pipelines/app.yaml:6:7: test: expected a list, got string "npm test"; write a list, like ["npm test"]'],
  },
  {
    name: 'wrong type: an empty host',
    files: { 'config/hosts.yaml': `${HOSTS}web3:\n` },
    expected: ['config/hosts.yaml:3:1: web3: expected a map, got an empty value; fill it in or remove the key'],
  },
  {
    name: 'missing required key at the top',
    files: { 'config/pipelines/app.yaml': 'branch: main\n' },
    expected: ['config/pipelines/app.yaml:1:1: repo: missing required key; add repo: with the git URL (https://...)'],
  },
  {
    name: 'missing required key in a nested map',
    files: { 'config/hosts.yaml': `${HOSTS}web3: { adress: 10.0.0.13, user: deploy }\n` },
    expected: [
      'config/hosts.yaml:3:7: web3.address: missing required key; add address: with the IP address or DNS name',
      'config/hosts.yaml:3:9: web3.adress: unknown key; did you mean "address"?',
    ],
  },
  {
    name: 'invalid cron',
    files: { 'config/pipelines/app.yaml': `${APP}poll: "61 * * * *"\n` },
    expected: ['config/pipelines/app.yaml:6:7: poll: "61 * * * *" is not a valid cron expression; use 5 fields like "*/5 * * * *"'],
  },
  {
    name: 'undefined host',
    files: { 'config/pipelines/app.yaml': `${APP}  - { name: production, hosts: [web9] }\n` },
    expected: ['config/pipelines/app.yaml:6:33: environments[1].hosts[0]: unknown host "web9"; define it in config/hosts.yaml (known: web1, web2)'],
  },
  {
    name: 'undefined host without hosts.yaml',
    files: { 'config/hosts.yaml': null },
    expected: ['config/pipelines/app.yaml:5:30: environments[0].hosts[0]: unknown host "web1"; define it in config/hosts.yaml (no hosts are defined yet)'],
  },
  {
    name: 'proxyJump to an undefined host',
    files: { 'config/hosts.yaml': `${HOSTS}web3: { address: 10.0.0.13, user: deploy, proxyJump: bastion }\n` },
    expected: ['config/hosts.yaml:3:54: web3.proxyJump: unknown host "bastion"; name another host of this file (known: web1, web2, web3)'],
  },
  {
    name: 'proxyJump loop',
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy, proxyJump: web2 }\nweb2: { address: 10.0.0.12, user: deploy, proxyJump: web1 }\n' },
    expected: [
      'config/hosts.yaml:1:54: web1.proxyJump: jump hosts go round in a loop (web1 -> web2 -> web1); break the loop',
      'config/hosts.yaml:2:54: web2.proxyJump: jump hosts go round in a loop (web2 -> web1 -> web2); break the loop',
    ],
  },
  {
    name: 'duplicate environment',
    files: { 'config/pipelines/app.yaml': `${APP}  - { name: staging, hosts: [web2] }\n` },
    expected: ['config/pipelines/app.yaml:6:13: environments[1].name: duplicate environment "staging"; give each environment its own name'],
  },
  {
    name: 'duplicate host in an environment',
    files: { 'config/pipelines/app.yaml': `${APP}  - { name: production, hosts: [web1, web2, web1] }\n` },
    expected: ['config/pipelines/app.yaml:6:45: environments[1].hosts[2]: host "web1" is listed twice; remove one'],
  },
  {
    name: 'YAML syntax error',
    files: { 'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy\n' },
    // Host names of a hosts.yaml that does not parse are unknown, so they are not checked either.
    expected: ['config/hosts.yaml:2:1: YAML: Flow map in block collection must be sufficiently indented and end with a }; fix the YAML syntax'],
  },
  {
    name: 'duplicate YAML key',
    files: { 'config/slipway.yaml': 'concurrency: 2\nconcurrency: 3\n' },
    expected: ['config/slipway.yaml:2:1: YAML: Map keys must be unique; remove or rename the repeated key'],
  },
  {
    name: 'missing key file',
    files: { 'config/slipway.yaml': 'ssh:\n  identity: ~/.ssh/id_ed25519\n  knownHosts: keys/known_hosts\n' },
    expected: [
      'config/slipway.yaml:2:13: ssh.identity: cannot read HOME/.ssh/id_ed25519 (no such file); create it (ssh-keygen -t ed25519 -f HOME/.ssh/id_ed25519) or fix the path',
      'config/slipway.yaml:3:15: ssh.knownHosts: cannot read ROOT/config/keys/known_hosts (no such file); create it (ssh-keyscan -H HOST >> ROOT/config/keys/known_hosts) or fix the path',
    ],
  },
  {
    name: 'missing key file of a host',
    files: { 'config/hosts.yaml': `${HOSTS}web3: { address: 10.0.0.13, user: deploy, identity: /nonexistent/key }\n` },
    expected: ['config/hosts.yaml:3:53: web3.identity: cannot read /nonexistent/key (no such file); create it (ssh-keygen -t ed25519 -f /nonexistent/key) or fix the path'],
  },
  {
    name: 'missing env secret',
    files: { 'config/pipelines/app.yaml': `${APP}auth: { token: "\${env:GIT_TOKEN}" }\n` },
    expected: ['config/pipelines/app.yaml:6:16: auth.token: environment variable GIT_TOKEN is not set; export it where slipway runs'],
  },
  {
    name: 'missing env secret where the schema wants a URL: one message, not two',
    files: { 'config/pipelines/app.yaml': APP.replace('https://git.example.com/acme/app.git', '"${env:REPO_URL}"') },
    expected: ['config/pipelines/app.yaml:1:7: repo: environment variable REPO_URL is not set; export it where slipway runs'],
  },
  {
    name: 'missing file secret',
    files: { 'config/pipelines/app.yaml': `${APP}auth: { token: "\${file:secrets/token}" }\n` },
    expected: ['config/pipelines/app.yaml:6:16: auth.token: cannot read secret file ROOT/config/secrets/token (no such file); create it or fix the path'],
  },
  {
    name: 'a secret is masked in messages',
    files: { 'config/hosts.yaml': `${HOSTS}web3: { address: 10.0.0.13, user: deploy, port: "\${env:WEB3_PORT}" }\n` },
    env: { WEB3_PORT: '40022' },
    expected: ['config/hosts.yaml:3:49: web3.port: expected an integer, got string "***"; write it without quotes'],
  },
  {
    name: 'bad duration: a bare number',
    files: { 'config/pipelines/app.yaml': `${APP}timeout: 30\n` },
    expected: ['config/pipelines/app.yaml:6:10: timeout: expected a duration like 30s, 10m or 1h, got number 30; write it with a unit, like 30s'],
  },
  {
    name: 'bad duration: words',
    files: { 'config/slipway.yaml': 'ssh: { commandTimeout: 10 minutes }\n' },
    expected: ['config/slipway.yaml:1:24: ssh.commandTimeout: expected a duration like 30s, 10m or 1h, got string "10 minutes"'],
  },
  {
    name: 'bad pipeline file name',
    files: { 'config/pipelines/my app.yaml': APP },
    expected: ['config/pipelines/my app.yaml:1:1: pipeline name "my app" (from the file name) is invalid; rename the file to letters, digits, ".", "_" or "-", starting with a letter or digit'],
  },
  {
    name: 'pipeline file ending in .yml',
    files: { 'config/pipelines/api.yml': APP },
    expected: ['config/pipelines/api.yml:1:1: pipeline files end in .yaml; rename it to api.yaml'],
  },
  {
    name: 'health check with neither command nor url',
    files: { 'config/pipelines/app.yaml': APP.replace('  path: /srv/app\n', '  path: /srv/app\n  healthCheck: { timeout: 5s }\n') },
    expected: ['config/pipelines/app.yaml:4:16: deploy.healthCheck: has neither command nor url; add command: (run on the host) or url: (fetched from the host)'],
  },
  {
    name: 'enum, minimum and pattern',
    files: { 'config/pipelines/app.yaml': APP.replace('  path: /srv/app\n', '  path: srv/app\n  source: copy\n  keepReleases: 1\n') },
    expected: [
      'config/pipelines/app.yaml:3:9: deploy.path: expected an absolute path or ~/... on the host, got string "srv/app"',
      'config/pipelines/app.yaml:4:11: deploy.source: expected one of pull, upload, artifact, got string "copy"',
      'config/pipelines/app.yaml:5:17: deploy.keepReleases: must be at least 2, got number 1',
    ],
  },
  {
    name: 'repo must be an http(s) URL',
    files: { 'config/pipelines/app.yaml': APP.replace('https://git.example.com/acme/app.git', 'git@github.com:acme/app.git') },
    expected: ['config/pipelines/app.yaml:1:7: repo: expected an http:// or https:// URL, got string "git@github.com:acme/app.git"; slipway talks to git servers over smart HTTP only'],
  },
  {
    name: 'invalid host name',
    files: { 'config/hosts.yaml': `${HOSTS}"web 3": { address: 10.0.0.13, user: deploy }\n` },
    expected: ['config/hosts.yaml:3:1: web 3: invalid name; expected a name of letters, digits, ".", "_" or "-" (starting with a letter or digit)'],
  },
];

for (const c of cases) {
  test(`config error: ${c.name}`, async () => {
    const folder = await writeTempConfig({
      'config/slipway.yaml': SETTINGS,
      'config/hosts.yaml': HOSTS,
      'config/pipelines/app.yaml': APP,
      ...c.files,
    });
    try {
      const error = await loadConfig(folder.dir, { env: { HOME: folder.home, ...c.env }, cwd: folder.root }).then(
        () => assert.fail('expected a ConfigError'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConfigError, String(error));
      const expected = c.expected.map((line) => line.replaceAll('HOME/', `${folder.home}/`).replaceAll('ROOT/', `${folder.root}/`));
      assert.deepEqual(error.message.split('\n'), expected);
      assert.equal(error.issues.length, expected.length);
    } finally {
      await folder.remove();
    }
  });
}

test('config error: a missing config folder', async () => {
  const folder = await writeTempConfig({});
  try {
    await assert.rejects(loadConfig('nowhere', { env: { HOME: folder.home }, cwd: folder.root }), (error: unknown) => {
      assert.ok(error instanceof MissingConfigFolder);
      assert.equal(error.message, 'no config folder at "nowhere"; create one with "slipway init nowhere", or pass --config DIR (or set $SLIPWAY_CONFIG)');
      return true;
    });
  } finally {
    await folder.remove();
  }
});

test('config error: a config file that cannot be read', async () => {
  const folder = await writeTempConfig({});
  try {
    await mkdir(join(folder.dir, 'hosts.yaml'));
    await assert.rejects(loadConfig('config', { env: { HOME: folder.home }, cwd: folder.root }), {
      message: 'config/hosts.yaml:1:1: cannot read this file (it is a folder); fix its permissions or replace it with a file',
    });
  } finally {
    await folder.remove();
  }
});
