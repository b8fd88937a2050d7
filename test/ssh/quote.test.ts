import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { exportEnv, quoteArg, quoteArgv } from '../../src/ssh/quote.ts';

const run = promisify(execFile);

test('quoteArg: exact outputs', () => {
  const table: Array<[string, string]> = [
    ['', `''`],
    ['abc', 'abc'],
    ['/srv/app/releases/20240101-abc1234', '/srv/app/releases/20240101-abc1234'],
    ['a_b.c:d@e%f+g,h-i', 'a_b.c:d@e%f+g,h-i'],
    ['--flag=value', '--flag=value'],
    ['-n', '-n'],
    ['FOO=bar', `'FOO=bar'`],
    ['if', `'if'`],
    ['time', `'time'`],
    ['iffy', 'iffy'],
    ['hello world', `'hello world'`],
    ["it's", `'it'\\''s'`],
    ["'", `''\\'''`],
    ['$(touch x)', `'$(touch x)'`],
    ['`id`', "'`id`'"],
    ['a\nb', `'a\nb'`],
    ['*', `'*'`],
    ['~', `'~'`],
    ['~/app', `'~/app'`],
    ['a;b', `'a;b'`],
    ['é', `'é'`],
    ['"', `'"'`],
    ['\\', `'\\'`],
  ];
  for (const [input, want] of table) assert.equal(quoteArg(input), want, JSON.stringify(input));
});

test('quoteArgv joins quoted words with spaces', () => {
  assert.equal(quoteArgv(['git', 'log', '-1', '--format=%H', 'main branch']), `git log -1 --format=%H 'main branch'`);
  assert.equal(quoteArgv([]), '');
  assert.equal(quoteArgv(['']), `''`);
});

test('exportEnv: exact output, names validated', () => {
  assert.equal(exportEnv({}), '');
  assert.equal(exportEnv({ K: 'v', K2: 'v2' }), `export K='v' K2='v2'; `);
  assert.equal(exportEnv({ _A1: "it's $HOME" }), `export _A1='it'\\''s $HOME'; `);
  assert.equal(exportEnv({ EMPTY: '' }), `export EMPTY=''; `);
  for (const bad of ['1A', 'A-B', 'A B', '', 'A=B', '$(x)', 'é']) {
    assert.throws(() => exportEnv({ [bad]: 'v' }), /invalid environment variable name/, bad);
  }
});

const NASTY = [
  '',
  ' ',
  'plain',
  '$(touch PWNED1)',
  '`touch PWNED2`',
  '; touch PWNED3',
  '&& touch PWNED4 ||',
  '| touch PWNED5',
  "it's",
  "'",
  "''",
  '"',
  '"$(touch PWNED6)"',
  "'$(touch PWNED7)'",
  'a\nb',
  '\n',
  'tab\there',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '~/x',
  '  leading and trailing  ',
  'unicode: é ü 日本 🚀',
  '-n',
  '-e',
  '--',
  '$HOME',
  '${HOME}',
  '$((1+1))',
  '\\',
  '\\n',
  '!',
  '#comment',
  'FOO=bar',
  '%s',
  '>PWNED8',
  '<',
  '{a,b}',
  '\x01\x7f',
];

test('quoteArgv round-trips through sh: every arg survives exactly and nothing executes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  try {
    const { stdout } = await run('sh', ['-c', `printf '%s\\0' ${quoteArgv(NASTY)}`], { cwd: dir, encoding: 'buffer' });
    const got = stdout.toString('utf8').split('\0');
    assert.equal(got.pop(), '');
    assert.deepEqual(got, NASTY);
    assert.deepEqual(await readdir(dir), [], 'no file may be created by the arguments');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('quoteArgv round-trips through sh with printf "%s\\n" as in the brief', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  try {
    const oneLine = NASTY.filter((s) => !s.includes('\n'));
    const { stdout } = await run('sh', ['-c', 'printf "%s\\n" ' + quoteArgv(oneLine)], { cwd: dir });
    assert.deepEqual(stdout.split('\n').slice(0, -1), oneLine);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a quoted first word is never an assignment or a keyword', async () => {
  // The shell must try to run commands literally named "FOO=bar" and "if", and fail to find them.
  for (const argv of [['FOO=bar', 'x'], ['if', 'true']]) {
    const { stdout } = await run('sh', ['-c', `${quoteArgv(argv)} 2>&1; echo "status $?"`]);
    assert.match(stdout, /not found\nstatus 127\n$/, argv.join(' '));
  }
});

test('exportEnv values survive sh exactly and execute nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  try {
    const env: Record<string, string> = {};
    NASTY.forEach((v, i) => (env[`V${i}`] = v));
    const script = exportEnv(env) + NASTY.map((_, i) => `printf '%s\\0' "$V${i}"`).join('; ');
    const { stdout } = await run('sh', ['-c', script], { cwd: dir, encoding: 'buffer' });
    const got = stdout.toString('utf8').split('\0');
    got.pop();
    assert.deepEqual(got, NASTY);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
