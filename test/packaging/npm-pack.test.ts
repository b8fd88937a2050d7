// The package as a user gets it: `npm pack` (what would be published), installed from the tarball
// into an empty project, run through node_modules/.bin. Catches a file missing from "files", a
// broken bin entry or shebang, and a runtime dependency that only devDependencies provided.
// dist/ must be built first (npm test builds); pack runs with --ignore-scripts so that it ships
// that build instead of rebuilding a working tree that may be mid-edit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bytes of the files under a folder (what `du -sb` counts for files). */
async function installedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await installedBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

async function npm(args: string[], cwd: string): Promise<string> {
  const res = await execa('npm', args, { cwd, reject: false, timeout: 600_000, env: { NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  assert.equal(res.exitCode, 0, `npm ${args.join(' ')} failed:\n${String(res.stderr)}`);
  return String(res.stdout);
}

test('npm pack → npm install <tarball> (in a project, and globally) → slipway --version, init, validate', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli.js')), 'dist/ is not built: run npm run build first');
  const work = await mkdtemp(join(tmpdir(), 'slipway-pack-'));
  try {
    const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const entry = packed[0];
    assert.ok(entry, 'npm pack printed no package');
    const shipped = entry.files.map((f) => f.path);
    for (const must of ['package.json', 'README.md', 'bin/slipway.js', 'dist/cli.js', 'dist/commands/init.js', 'schema/slipway.schema.json', 'schema/hosts.schema.json', 'schema/pipeline.schema.json', 'docs/configuration.md', 'docs/webhooks.md', 'docs/troubleshooting.md']) {
      assert.ok(shipped.includes(must), `${must} is not in the package (package.json "files")`);
    }
    assert.deepEqual(shipped.filter((p) => /^(src|test|bench|scripts)\//.test(p)), [], 'sources or tests are shipped');

    const project = join(work, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'deploys', private: true }));
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, entry.filename)], project);

    // Installed size, dependencies included (issue 13: under 15 MB), and no source maps of ours.
    assert.deepEqual(shipped.filter((p) => p.endsWith('.map')), [], 'source maps are shipped');
    const installed = await installedBytes(join(project, 'node_modules'));
    assert.ok(installed < 15 * 1024 * 1024, `installed package is ${(installed / 1048576).toFixed(1)} MB, over 15 MB`);

    const home = join(work, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    const slipway = (args: string[]) =>
      execa(join(project, 'node_modules', '.bin', 'slipway'), args, { cwd: project, reject: false, env: { HOME: home, NO_COLOR: '1' } });

    const version = await slipway(['--version']);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.exitCode, 0, String(version.stderr));
    assert.equal(version.stdout, pkg.version);

    const repoExample = await slipway(['validate', '--config', join(ROOT, 'config')]);
    assert.equal(repoExample.exitCode, 0, String(repoExample.stderr));
    assert.match(String(repoExample.stdout), /^config OK: \d+ pipelines?, \d+ hosts?\nsandbox: bwrap \(/);

    // Installed inside the project, init points editors at the package's schemas by a relative path
    // that every clone of the config repo can follow.
    const init = await slipway(['init']);
    assert.equal(init.exitCode, 0, String(init.stderr));
    const first = (await readFile(join(project, 'config', 'pipelines', 'example.yaml'), 'utf8')).split('\n', 1)[0];
    assert.equal(first, '# yaml-language-server: $schema=../../node_modules/slipway/schema/pipeline.schema.json');
    const settingsLine = (await readFile(join(project, 'config', 'slipway.yaml'), 'utf8')).split('\n', 1)[0] ?? '';
    const ref = settingsLine.replace('# yaml-language-server: $schema=', '');
    assert.ok(existsSync(resolve(dirname(join(project, 'config', 'slipway.yaml')), ref)), `${ref} does not exist`);

    await writeFile(join(home, '.ssh', 'id_ed25519'), 'key\n');
    await writeFile(join(home, '.ssh', 'known_hosts'), '');
    const starter = await slipway(['validate']);
    assert.equal(starter.exitCode, 0, String(starter.stderr));
    assert.equal(String(starter.stdout).split('\n')[0], 'config OK: 1 pipeline, 2 hosts');

    // As people install CLIs: globally (here into a temp prefix), then used in a folder that has
    // nothing to do with the clone or a project. init copies the schemas beside the config, so
    // the $schema lines resolve there (and in every clone of that config repo).
    const prefix = join(work, 'global');
    await npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', join(work, entry.filename)], work);
    const elsewhere = join(work, 'ops', 'deploys');
    await mkdir(elsewhere, { recursive: true });
    const global = (args: string[]) => execa(join(prefix, 'bin', 'slipway'), args, { cwd: elsewhere, reject: false, env: { HOME: home, NO_COLOR: '1', PATH: process.env.PATH ?? '' } });
    const globalInit = await global(['init']);
    assert.equal(globalInit.exitCode, 0, String(globalInit.stderr));
    for (const [file, schema] of [['slipway.yaml', 'schema/slipway.schema.json'], ['hosts.yaml', 'schema/hosts.schema.json'], ['pipelines/example.yaml', '../schema/pipeline.schema.json']] as const) {
      const line = (await readFile(join(elsewhere, 'config', file), 'utf8')).split('\n', 1)[0] ?? '';
      assert.equal(line, `# yaml-language-server: $schema=${schema}`, file);
      const target = resolve(dirname(join(elsewhere, 'config', file)), schema);
      const parsed = JSON.parse(await readFile(target, 'utf8')) as { $schema?: string };
      assert.ok(parsed.$schema, `${target} is a JSON Schema`);
    }
    const globalValidate = await global(['validate']);
    assert.equal(globalValidate.exitCode, 0, String(globalValidate.stderr));
    assert.equal(String(globalValidate.stdout).split('\n')[0], 'config OK: 1 pipeline, 2 hosts');
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', 'slipway', 'docs', 'webhooks.md')), 'docs/ shipped');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
