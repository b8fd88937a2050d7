import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onceCommand } from './once.ts';
import type { Output } from '../wiring/output.ts';
import { appAnswer, createDemoWorld, type DemoWorld } from '../demo/world.ts';
import { brokenServer, sampleApp } from '../demo/sample-app.ts';
import { statePaths } from '../state/paths.ts';

/**
 * The whole loop on this machine, nothing external: a git server and two SSH hosts on
 * 127.0.0.1, a sample app tested and deployed to staging and production, then a broken commit
 * that the health gate stops and slipway rolls back. Exits 0 when all of that happened.
 */
export async function demoCommand(opts: { keep: boolean }, output: Output): Promise<number> {
  const started = Date.now();
  const root = await mkdtemp(join(tmpdir(), 'slipway-demo-'));
  output.out(`demo: working in ${root}`);
  const world = await createDemoWorld(root, ['staging', 'production']);
  let ok = false;
  try {
    const configDir = await writeDemoConfig(world);
    output.out(`demo: git server ${world.git.url}, SSH hosts ${world.hosts.map((h) => `${h.name}=127.0.0.1:${h.port}`).join(', ')}`);

    const good = await world.commit(sampleApp, 'demo-app: first version');
    output.out(`\ndemo: pushed ${good.slice(0, 7)} "demo-app: first version"; slipway once:`);
    const first = await onceCommand(configDir, [], output);
    const answers = await Promise.all(world.hosts.map((h) => appAnswer(h.appPort)));
    const deployed = first === 0 && answers.every((a) => a === good);
    for (const [i, h] of world.hosts.entries()) output.out(`demo: ${h.name} app answers ${answers[i]?.slice(0, 7) ?? 'nothing'}`);

    const bad = await world.commit(brokenServer, 'demo-app: a version that crashes on start');
    output.out(`\ndemo: pushed ${bad.slice(0, 7)} "demo-app: a version that crashes on start"; slipway once:`);
    // The broken commit fails on purpose: its failure summary is part of the show, on stdout.
    const second = await onceCommand(configDir, [], { ...output, err: output.out });
    const after = await Promise.all(world.hosts.map((h) => appAnswer(h.appPort)));
    const rolledBack = second === 1 && after.every((a) => a === good);
    output.out(`demo: the broken commit ${rolledBack ? 'was rolled back' : 'was NOT handled as expected'}; the apps answer ${after.map((a) => a?.slice(0, 7) ?? 'nothing').join(', ')}`);

    const report = join(statePaths(join(root, 'state')).www, 'index.html');
    output.out(`\ndemo: report file://${report}`);
    output.out(`demo: config ${configDir} (try: npx slipway status --config ${configDir})`);
    output.out(`demo: ${deployed && rolledBack ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    ok = deployed && rolledBack;
    if (opts.keep) {
      output.out('demo: --keep: servers stay up; press Ctrl-C to stop');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await world.close();
  }
  return ok ? 0 : 1;
}

async function writeDemoConfig(world: DemoWorld): Promise<string> {
  const dir = join(world.root, 'config');
  await mkdir(join(dir, 'pipelines'), { recursive: true });
  await writeFile(
    join(dir, 'slipway.yaml'),
    `# Written by slipway demo.\nstateDir: ../state\nssh: { identity: ${world.identityFile}, knownHosts: ${world.knownHostsFile}, connectTimeout: 5s }\nreport: { title: "slipway demo" }\n`,
  );
  await writeFile(
    join(dir, 'hosts.yaml'),
    world.hosts.map((h) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: demo, env: { PORT: "${h.appPort}" } }\n`).join(''),
  );
  await writeFile(
    join(dir, 'pipelines', 'demo-app.yaml'),
    `repo: ${world.repoUrl}
branch: main
test: [./test.sh]
timeout: 1m
deploy:
  path: ~/app
  restart: ./restart.sh
  healthCheck: { command: node health.js, timeout: 3s, interval: 250ms }
  keepReleases: 3
environments:
${world.hosts.map((h) => `  - { name: ${h.name}, hosts: [${h.name}] }\n`).join('')}`,
  );
  return dir;
}
