// A valid config folder resolves to the value the rest of slipway reads: defaults applied,
// durations in ms, local paths absolute, secrets substituted and listed, overrides merged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { describeConfig, loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { writeTempConfig } from './config-folder.ts';

const FINGERPRINT = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

const FULL = {
  'config/slipway.yaml': [
    'stateDir: ../state',
    'concurrency: 3',
    'ssh: { identity: ~/.ssh/id_ed25519, knownHosts: known_hosts, connectTimeout: 5s }',
    'report: { title: "ACME deploys" }',
    'server: { listen: 127.0.0.1:8080, webhookSecret: "${env:HOOK_SECRET}" }',
    'notify:',
    '  - { webhook: "https://hooks.example/T000", on: [failure, recovery, deployed] }',
    '  - { webhook: "https://hooks.example/T001" }',
    'retention: { runs: 50, days: 30 }',
    '',
  ].join('\n'),
  'config/hosts.yaml': [
    'web1: { address: 10.0.0.11, port: 2222, user: deploy, env: { PORT: "3001" } }',
    `web2: { address: 10.0.0.12, user: deploy, hostKey: "${FINGERPRINT}", identity: ~/.ssh/id_ed25519 }`,
    'db1: { address: db.internal, user: ops, env: { DB_PASSWORD: "${env:DB_PASSWORD}" } }',
    '',
  ].join('\n'),
  'config/pipelines/app.yaml': [
    '# the app',
    'repo: https://git.example.com/acme/app.git',
    'branch: release',
    'poll: "*/5 * * * *"',
    'auth: { token: "${file:secrets/app-token}" }',
    'timeout: 1h30m',
    'test: [npm ci, npm test]',
    'deploy:',
    '  path: ~/app',
    '  steps: [npm ci --omit=dev]',
    '  restart: sudo systemctl restart app',
    '  healthCheck: { url: "http://127.0.0.1:3001/health", interval: 500ms }',
    'environments:',
    '  - { name: staging, hosts: [web1] }',
    '  - name: production',
    '    hosts: [web2, web1]',
    '    batch: 1',
    '    approval: manual',
    '    deploy: { source: upload, keepReleases: 10, commandTimeout: 2m, healthCheck: { timeout: 1m } }',
    '',
  ].join('\n'),
  'config/pipelines/api.yaml': [
    'repo: http://git.internal/api.git',
    'deploy: { path: /srv/api }',
    'environments: [{ name: prod, hosts: [db1] }]',
    '',
  ].join('\n'),
  'config/pipelines/README.md': 'not a pipeline\n',
  'config/known_hosts': '10.0.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
  'config/secrets/app-token': 'tok-123\n',
  'home/.ssh/id_ed25519': 'not really a key\n',
};

test('a full config resolves with defaults, durations, paths, secrets and overrides', async () => {
  const folder = await writeTempConfig(FULL);
  try {
    const env = { HOME: folder.home, HOOK_SECRET: 'hook-456', DB_PASSWORD: 'pw-789' };
    const config = await loadConfig('config', { env, cwd: folder.root });
    const key = `${folder.home}/.ssh/id_ed25519`;
    const appDeploy = {
      path: '~/app',
      source: 'pull' as const,
      steps: ['npm ci --omit=dev'],
      onceSteps: [] as string[],
      shared: [] as string[],
      restart: 'sudo systemctl restart app',
      healthCheck: { url: 'http://127.0.0.1:3001/health', timeoutMs: 30_000, intervalMs: 500 },
      keepReleases: 5,
      commandTimeoutMs: 600_000,
      lockTimeoutMs: 1_800_000,
      lockWaitMs: 600_000,
    };
    const expected: Config = {
      dir: folder.dir,
      settings: {
        stateDir: `${folder.root}/state`,
        concurrency: 3,
        sandbox: 'auto',
        ssh: { identity: key, knownHosts: `${folder.dir}/known_hosts`, connectTimeoutMs: 5_000, commandTimeoutMs: 600_000 },
        report: { title: 'ACME deploys' },
        inboxTtlMs: 3_600_000,
        retention: { runs: 50, days: 30 },
        server: { listen: '127.0.0.1:8080', webhookSecret: 'hook-456' },
        notify: [
          { webhook: 'https://hooks.example/T000', on: ['failure', 'recovery', 'deployed'] },
          { webhook: 'https://hooks.example/T001', on: ['failure', 'recovery'] },
        ],
      },
      hosts: {
        web1: { name: 'web1', address: '10.0.0.11', port: 2222, user: 'deploy', env: { PORT: '3001' } },
        web2: { name: 'web2', address: '10.0.0.12', port: 22, user: 'deploy', env: {}, hostKey: FINGERPRINT, identity: key },
        db1: { name: 'db1', address: 'db.internal', port: 22, user: 'ops', env: { DB_PASSWORD: 'pw-789' } },
      },
      pipelines: [
        {
          name: 'api',
          file: 'config/pipelines/api.yaml',
          repo: 'http://git.internal/api.git',
          branch: 'main',
          branches: ['main'],
          poll: '* * * * *',
          retention: { runs: 50, days: 30 },
          timeoutMs: 600_000,
          network: true,
          test: [],
          build: [],
          deploy: { path: '/srv/api', source: 'pull', steps: [], onceSteps: [], shared: [], keepReleases: 5, commandTimeoutMs: 600_000, lockTimeoutMs: 1_800_000, lockWaitMs: 600_000 },
          environments: [{
            name: 'prod',
            hosts: ['db1'],
            approval: 'auto',
            deploy: { path: '/srv/api', source: 'pull', steps: [], onceSteps: [], shared: [], keepReleases: 5, commandTimeoutMs: 600_000, lockTimeoutMs: 1_800_000, lockWaitMs: 600_000 },
          }],
        },
        {
          name: 'app',
          file: 'config/pipelines/app.yaml',
          repo: 'https://git.example.com/acme/app.git',
          branch: 'release',
          branches: ['release'],
          poll: '*/5 * * * *',
          retention: { runs: 50, days: 30 },
          auth: { username: 'x-access-token', token: 'tok-123' },
          timeoutMs: 5_400_000,
          network: true,
          test: ['npm ci', 'npm test'],
          build: [],
          deploy: appDeploy,
          environments: [
            { name: 'staging', hosts: ['web1'], approval: 'auto', deploy: appDeploy },
            {
              name: 'production',
              hosts: ['web2', 'web1'],
              batch: 1,
              approval: 'manual',
              deploy: {
                ...appDeploy,
                source: 'upload',
                keepReleases: 10,
                commandTimeoutMs: 120_000,
                healthCheck: { url: 'http://127.0.0.1:3001/health', timeoutMs: 60_000, intervalMs: 500 },
              },
            },
          ],
        },
      ],
      secrets: ['hook-456', 'pw-789', 'tok-123'],
      secretFiles: [`${folder.dir}/secrets/app-token`],
    };
    assert.deepEqual(config, expected);
    assert.equal(describeConfig(config), 'config OK: 2 pipelines, 3 hosts');
  } finally {
    await folder.remove();
  }
});

test('an empty config folder is valid: every default, no hosts, no pipelines', async () => {
  const folder = await writeTempConfig({});
  try {
    const config = await loadConfig(folder.dir, { env: { HOME: folder.home }, cwd: folder.root });
    assert.deepEqual(config.settings, {
      stateDir: `${folder.root}/state`,
      concurrency: 2,
      sandbox: 'auto',
      inboxTtlMs: 3_600_000,
      ssh: { connectTimeoutMs: 10_000, commandTimeoutMs: 600_000 },
      report: { title: 'slipway' },
      notify: [],
    });
    assert.deepEqual(config.hosts, {});
    assert.deepEqual(config.pipelines, []);
    assert.equal(describeConfig(config), 'config OK: 0 pipelines, 0 hosts');
  } finally {
    await folder.remove();
  }
});

test('describeConfig uses singular for one', async () => {
  const folder = await writeTempConfig({
    'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy }\n',
    'config/pipelines/app.yaml': 'repo: https://x.example/app.git\ndeploy: { path: /srv/app }\nenvironments: [{ name: prod, hosts: [web1] }]\n',
  });
  try {
    const config = await loadConfig(folder.dir, { env: { HOME: folder.home }, cwd: folder.root });
    assert.equal(describeConfig(config), 'config OK: 1 pipeline, 1 host');
  } finally {
    await folder.remove();
  }
});

test('several problems in several files come at once, sorted by file, line and column', async () => {
  const folder = await writeTempConfig({
    'config/slipway.yaml': 'concurrency: 0\nreprot: { title: x }\n',
    'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy, port: "22" }\n',
    'config/pipelines/web.yaml': [
      'repo: https://git.example.com/web.git',
      'poll: every minute',
      'timeout: 5',
      'deploy: { path: /srv/web }',
      'environments:',
      '  - { name: prod, hosts: [web1, web7] }',
      '  - { name: prod, hosts: [web1] }',
      '',
    ].join('\n'),
    'config/pipelines/api.yaml': 'repo: https://git.example.com/api.git\nenvironments: []\n',
  });
  try {
    await assert.rejects(loadConfig('config', { env: { HOME: folder.home }, cwd: folder.root }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.message.split('\n'), [
        'config/hosts.yaml:1:49: web1.port: expected an integer, got string "22"; write it without quotes',
        'config/pipelines/api.yaml:2:15: environments: must not be empty; list at least one item',
        'config/pipelines/web.yaml:2:7: poll: "every minute" is not a valid cron expression; use 5 fields like "*/5 * * * *"',
        'config/pipelines/web.yaml:3:10: timeout: expected a duration like 30s, 10m or 1h, got number 5; write it with a unit, like 5s',
        'config/pipelines/web.yaml:6:33: environments[0].hosts[1]: unknown host "web7"; define it in config/hosts.yaml (known: web1)',
        'config/pipelines/web.yaml:7:13: environments[1].name: duplicate environment "prod"; give each environment its own name',
        'config/slipway.yaml:1:14: concurrency: must be at least 1, got number 0',
        'config/slipway.yaml:2:1: reprot: unknown key; did you mean "report"?',
      ]);
      return true;
    });
  } finally {
    await folder.remove();
  }
});

test('file names in messages are absolute when the config is outside the cwd', async () => {
  const folder = await writeTempConfig({ 'config/slipway.yaml': 'concurrency: many\n' });
  try {
    await assert.rejects(loadConfig(folder.dir, { env: { HOME: folder.home }, cwd: folder.home }), {
      message: `${folder.dir}/slipway.yaml:1:14: concurrency: expected an integer, got string "many"`,
    });
  } finally {
    await folder.remove();
  }
});

test("the repo's example config folder validates", async () => {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const config = await loadConfig('config', { env: { HOME: '/nonexistent-home' }, cwd: repoRoot });
  assert.equal(describeConfig(config), 'config OK: 1 pipeline, 2 hosts');
  assert.deepEqual(config.secrets, []);
});
