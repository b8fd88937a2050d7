// Credentials in a repo URL never stay in it: the URL every command line names has no userinfo,
// the credentials travel as auth (a header; on stdin to a host), and they are masked as secrets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { splitRepoUrl } from '../../src/config/repo-url.ts';
import { fetchScript } from '../../src/pipeline/remote-commands.ts';
import { writeTempConfig } from './config-folder.ts';

test('splitRepoUrl takes user:password and a lone token user out of the URL', () => {
  assert.deepEqual(splitRepoUrl('https://bot:s%40cret@git.example.com/acme/app.git'), {
    url: 'https://git.example.com/acme/app.git', auth: { username: 'bot', token: 's@cret' },
  });
  assert.deepEqual(splitRepoUrl('https://ghp_abc123@github.com/acme/app.git'), {
    url: 'https://github.com/acme/app.git', auth: { username: 'ghp_abc123', token: '' },
  });
  assert.deepEqual(splitRepoUrl('https://git.example.com/acme/app.git'), { url: 'https://git.example.com/acme/app.git' });
});

test('a pipeline repo URL with userinfo loads without it; the host fetch names no credential', async () => {
  const folder = await writeTempConfig({
    'config/hosts.yaml': 'web1: { address: 10.0.0.11, user: deploy }\n',
    'config/pipelines/app.yaml': 'repo: https://bot:tok-from-url-77@git.example.com/acme/app.git\ndeploy: { path: /srv/app }\nenvironments: [{ name: staging, hosts: [web1] }]\n',
  });
  try {
    const config = await loadConfig(folder.dir, { cwd: folder.root, env: { HOME: folder.home } });
    const [app] = config.pipelines;
    assert.equal(app?.repo, 'https://git.example.com/acme/app.git');
    assert.deepEqual(app?.auth, { username: 'bot', token: 'tok-from-url-77' });
    assert.ok(config.secrets.includes('tok-from-url-77'));
    const script = fetchScript({ path: '/srv/app', repo: app!.repo, branch: 'main', commit: 'c0ffee', withAuth: app!.auth !== undefined });
    assert.ok(!script.includes('tok-from-url-77') && !script.includes('bot:'), script);
    assert.match(script, /read -r slipway_header/);
  } finally {
    await folder.remove();
  }
});
