// The sandbox's decisions, pinned: which sandbox a setting gives on a machine with and without
// bwrap, and the exact bubblewrap command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bwrapArgs, chooseSandbox, sandboxEnv } from '../../src/exec/sandbox.ts';

test('chooseSandbox: auto is bwrap when installed; none and auto-without-bwrap warn; bwrap without it is a problem', () => {
  assert.equal(chooseSandbox('auto', true).kind, 'bwrap');
  assert.equal(chooseSandbox('auto', true).warning, undefined);
  assert.equal(chooseSandbox('bwrap', true).problem, undefined);
  const none = chooseSandbox('none', true);
  assert.equal(none.kind, 'none');
  assert.match(none.warning ?? '', /^sandbox: none: test commands run as this user/);
  const missing = chooseSandbox('auto', false);
  assert.equal(missing.kind, 'none');
  assert.match(missing.warning ?? '', /install bubblewrap/);
  assert.equal(chooseSandbox('bwrap', false).problem, 'sandbox: bwrap is set but /usr/bin/bwrap is missing; install bubblewrap (apt-get install bubblewrap) or set sandbox: auto');
});

test('bwrapArgs is pinned: system read-only, fresh /proc /dev /tmp, hidden paths masked only under bound folders', () => {
  const args = bwrapArgs({
    workspace: '/var/lib/slipway/work/app/7',
    home: '/var/lib/slipway/cache/home/app',
    network: false,
    system: [{ path: '/usr' }, { path: '/bin', link: 'usr/bin' }, { path: '/etc' }],
    hidden: [
      { path: '/etc/slipway', isDirectory: true },
      { path: '/etc/app-token', isDirectory: false },
      { path: '/var/lib/slipway', isDirectory: true },
    ],
  });
  assert.deepEqual(args, [
    '--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--cap-drop', 'ALL', '--unshare-net',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--ro-bind', '/etc', '/etc',
    '--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
    '--tmpfs', '/etc/slipway', '--ro-bind', '/dev/null', '/etc/app-token',
    '--bind', '/var/lib/slipway/cache/home/app', '/var/lib/slipway/cache/home/app',
    '--bind', '/var/lib/slipway/work/app/7', '/var/lib/slipway/work/app/7', '--chdir', '/var/lib/slipway/work/app/7',
  ]);
  assert.ok(!bwrapArgs({ workspace: '/w', home: '/h', network: true, system: [], hidden: [] }).includes('--unshare-net'));
});

test('sandboxEnv keeps only PATH, HOME, TMPDIR, the locale and what is declared', () => {
  const env = sandboxEnv({ PATH: '/usr/bin', LANG: 'C.UTF-8', HOOK_SECRET: 's3cret', SSH_AUTH_SOCK: '/run/agent' }, { CI: 'true' }, '/h');
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/h', TMPDIR: '/tmp', LANG: 'C.UTF-8', CI: 'true' });
});
