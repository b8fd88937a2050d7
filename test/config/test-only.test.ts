// Test-only pipelines (no deploy, no environments) and the config errors around them and around
// build, artifact and status: each with the exact located message a user reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { writeTempConfig } from './config-folder.ts';

const HOSTS = 'web1: { address: 10.0.0.11, user: deploy }\n';
const REPO = 'repo: https://git.example.com/acme/app.git\n';

async function load(pipeline: string, settings = 'concurrency: 2\n') {
  const folder = await writeTempConfig({ 'config/slipway.yaml': settings, 'config/hosts.yaml': HOSTS, 'config/pipelines/app.yaml': pipeline });
  try {
    return await loadConfig(folder.dir, { env: { HOME: folder.home }, cwd: folder.root });
  } finally {
    await folder.remove();
  }
}

test('a pipeline with only repo, branch, poll and test loads as test-only', async () => {
  const config = await load(`${REPO}branch: main\npoll: "* * * * *"\ntest: [npm test]\nbuild: [npm run build]\n`);
  const [p] = config.pipelines;
  assert.ok(p);
  assert.deepEqual(p.environments, []);
  assert.equal(p.deploy, undefined);
  assert.deepEqual(p.test, ['npm test']);
  assert.deepEqual(p.build, ['npm run build']);
});

test('artifact, status and report.url load as written', async () => {
  const config = await load(
    `${REPO}build: [make]\nartifact: { paths: [dist, package.json] }\nstatus: { forge: gitlab, api: "https://gitlab.example/api/v4", repo: acme/app, token: t0k }\n` +
      'deploy: { path: /srv/app, source: artifact }\nenvironments: [{ name: staging, hosts: [web1] }]\n',
    'report: { url: "https://ci.example/" }\n',
  );
  const [p] = config.pipelines;
  assert.deepEqual(p?.artifact, { paths: ['dist', 'package.json'] });
  assert.deepEqual(p?.status, { forge: 'gitlab', api: 'https://gitlab.example/api/v4', repo: 'acme/app', token: 't0k' });
  assert.equal(p?.environments[0]?.deploy.source, 'artifact');
  assert.equal(config.settings.report.url, 'https://ci.example', 'kept without its trailing slash');
});

test('steps with once: true and deploy.shared load as written', async () => {
  const config = await load(`${REPO}deploy:\n  path: /srv/app\n  shared: [.env, storage/]\n  steps: [npm ci, { run: npm run migrate, once: true }, { run: make }]\nenvironments: [{ name: prod, hosts: [web1] }]\n`);
  const spec = config.pipelines[0]?.environments[0]?.deploy;
  assert.deepEqual([spec?.steps, spec?.onceSteps, spec?.shared], [['npm ci', 'make'], ['npm run migrate'], ['.env', 'storage/']]);
});

const cases: Array<{ name: string; pipeline: string; expected: string[] }> = [
  {
    name: 'environments without any deploy',
    pipeline: `${REPO}environments:\n  - { name: staging, hosts: [web1] }\n`,
    expected: ['config/pipelines/app.yaml:3:5: environments[0]: has no deploy path; add a deploy: section with path: (the folder on the hosts), or remove environments: for a test-only pipeline'],
  },
  {
    name: 'deploy without a path',
    pipeline: `${REPO}deploy: { steps: [make] }\nenvironments:\n  - { name: staging, hosts: [web1] }\n  - { name: prod, hosts: [web1], deploy: { path: /srv/app } }\n`,
    expected: ['config/pipelines/app.yaml:4:5: environments[0]: has no deploy path; add path: to deploy: (the folder on the hosts, absolute or ~/...)'],
  },
  {
    name: 'deploy without environments',
    pipeline: `${REPO}deploy: { path: /srv/app }\n`,
    expected: ['config/pipelines/app.yaml:2:1: deploy: there are no environments to deploy to; add environments: with at least one { name, hosts }, or remove deploy: for a test-only pipeline'],
  },
  {
    name: 'source: artifact without artifact',
    pipeline: `${REPO}deploy: { path: /srv/app }\nenvironments:\n  - { name: staging, hosts: [web1], deploy: { source: artifact } }\n`,
    expected: ['config/pipelines/app.yaml:4:55: environments[0].deploy.source: source: artifact needs something to ship; add artifact: { paths: [...] } (what build produced), or use source: pull'],
  },
  {
    name: 'an artifact path out of the workspace',
    pipeline: `${REPO}artifact: { paths: [dist, ../etc] }\n`,
    expected: ['config/pipelines/app.yaml:2:27: artifact.paths[1]: expected a path inside the workspace (relative, without ".."), got string "../etc"'],
  },
  {
    name: 'an absolute artifact path',
    pipeline: `${REPO}artifact: { paths: [/etc] }\n`,
    expected: ['config/pipelines/app.yaml:2:21: artifact.paths[0]: expected a path inside the workspace (relative, without ".."), got string "/etc"'],
  },
  {
    name: 'an unknown forge',
    pipeline: `${REPO}status: { forge: bitbucket, api: "https://api.example", repo: a/b, token: t }\n`,
    expected: ['config/pipelines/app.yaml:2:18: status.forge: expected one of github, gitea, gitlab, got string "bitbucket"'],
  },
  {
    name: 'a step that is neither a command nor { run, once }',
    pipeline: `${REPO}deploy: { path: /srv/app, steps: [{ once: true }] }\nenvironments: [{ name: s, hosts: [web1] }]\n`,
    expected: ['config/pipelines/app.yaml:2:35: deploy.steps[0]: a map matches none of the allowed forms'],
  },
  {
    name: 'a shared path out of the release',
    pipeline: `${REPO}deploy: { path: /srv/app, shared: [../x] }\nenvironments: [{ name: s, hosts: [web1] }]\n`,
    expected: ['config/pipelines/app.yaml:2:36: deploy.shared[0]: expected a path inside the workspace (relative, without ".."), got string "../x"'],
  },
];

for (const c of cases) {
  test(`config error: ${c.name}`, async () => {
    const error = await load(c.pipeline).then(() => assert.fail('expected a ConfigError'), (e: unknown) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepEqual(error.message.split('\n'), c.expected);
  });
}
