// The CLI's own words for a mistyped command line (never parseArgs' text about its API), help per
// command, and a missing config folder said plainly. Table-driven: the exact messages are the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli.ts';
import { helpFor } from '../../src/commands/help.ts';
import type { Output } from '../../src/wiring/output.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const output: Output = { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`), status: (w) => w };
  const code = await main(argv, output);
  return { code, out, err };
}

test('unknown options, missing values and stray arguments get our own messages (exit 2)', async () => {
  const cases: Array<[string[], string]> = [
    [['once', '--verbose'], 'slipway once: unknown option --verbose; once takes --config DIR, --help, --follow, --no-follow\n(see slipway once --help)\n'],
    [['deploy', 'app', '--env'], 'slipway deploy: --env needs a value (--env ENV)\n(see slipway deploy --help)\n'],
    [['status', '--json=yes'], 'slipway status: --json takes no value\n(see slipway status --help)\n'],
    [['validate', 'extra'], 'slipway validate: validate takes no arguments, got "extra"\n(see slipway validate --help)\n'],
    [['deploy', '--env', 'prod'], 'slipway deploy: deploy takes PIPELINE\n(see slipway deploy --help)\n'],
    [['approve', 'app'], 'slipway approve: approve takes PIPELINE and RUN (a run number)\n(see slipway approve --help)\n'],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    assert.equal(r.err, message, argv.join(' '));
    assert.equal(r.code, 2, argv.join(' '));
    assert.doesNotMatch(r.err, /positional argument|place it at the end/);
  }
});

test('slipway help COMMAND prints that command\'s help; an unknown one is a usage error', async () => {
  for (const name of ['once', 'status', 'deploy', 'logs', 'stats']) {
    const r = await cli(['help', name]);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${helpFor(name)}\n`);
    assert.match(r.out, new RegExp(`^usage: slipway ${name}`));
  }
  const bad = await cli(['help', 'nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^slipway help: unknown command "nope"/);
});

test('a missing config folder is said plainly, with what to do (exit 1)', async () => {
  const r = await cli(['validate', '--config', '/nonexistent/slipway-config']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'slipway validate: no config folder at "/nonexistent/slipway-config"; create one with "slipway init /nonexistent/slipway-config", or pass --config DIR (or set $SLIPWAY_CONFIG)\n');
});
