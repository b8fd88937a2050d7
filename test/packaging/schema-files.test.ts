// The shipped editor schemas (schema/*.schema.json) are what an editor checks while the user
// types, so they must agree with `slipway validate`: the repo's example config and the init
// starter pass, typical mistakes fail. Read from disk as an editor would (draft-07, plain ajv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { starterFiles } from '../../src/commands/init-templates.ts';

const ROOT = new URL('../../', import.meta.url);

async function loadSchema(name: string): Promise<ValidateFunction> {
  const schema = JSON.parse(await readFile(new URL(`schema/${name}`, ROOT), 'utf8')) as Record<string, unknown>;
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  return new Ajv({ allErrors: true, strict: true }).compile(schema);
}

const kinds = {
  settings: 'slipway.schema.json',
  hosts: 'hosts.schema.json',
  pipeline: 'pipeline.schema.json',
} as const;

async function check(kind: keyof typeof kinds, yamlText: string): Promise<ErrorObject[]> {
  const validate = await loadSchema(kinds[kind]);
  return validate(parse(yamlText) ?? {}) ? [] : [...(validate.errors ?? [])];
}

test('the example config in config/ passes the shipped schemas', async () => {
  const files: Array<[keyof typeof kinds, string]> = [
    ['settings', 'config/slipway.yaml'],
    ['hosts', 'config/hosts.yaml'],
    ['pipeline', 'config/pipelines/app.yaml'],
  ];
  for (const [kind, file] of files) {
    assert.deepEqual(await check(kind, await readFile(new URL(file, ROOT), 'utf8')), [], file);
  }
});

test('the init starter passes the shipped schemas', async () => {
  const files = starterFiles({ schemaRef: '/unused' });
  assert.deepEqual(await check('settings', files['slipway.yaml'] ?? ''), []);
  assert.deepEqual(await check('hosts', files['hosts.yaml'] ?? ''), []);
  assert.deepEqual(await check('pipeline', files['pipelines/example.yaml'] ?? ''), []);
});

const PIPELINE = `repo: https://git.example.com/acme/app.git
deploy: { path: /srv/app }
environments: [{ name: staging, hosts: [web1] }]
`;

test('broken files fail the shipped schemas at the right key', async () => {
  const cases: Array<{ kind: keyof typeof kinds; text: string; path: string; keyword: string }> = [
    { kind: 'settings', text: 'concurency: 2\n', path: '', keyword: 'additionalProperties' },
    { kind: 'settings', text: 'ssh: { connectTimeout: 10 }\n', path: '/ssh/connectTimeout', keyword: 'type' },
    { kind: 'settings', text: 'ssh: { connectTimeout: 10 seconds }\n', path: '/ssh/connectTimeout', keyword: 'pattern' },
    { kind: 'hosts', text: 'web1: { address: 10.0.0.1 }\n', path: '/web1', keyword: 'required' },
    { kind: 'hosts', text: 'web1: { address: 10.0.0.1, user: deploy, port: "22" }\n', path: '/web1/port', keyword: 'type' },
    { kind: 'hosts', text: 'web1: { address: 10.0.0.1, user: deploy, env: { PORT: 3001 } }\n', path: '/web1/env/PORT', keyword: 'type' },
    { kind: 'pipeline', text: PIPELINE.replace('https://', 'git@'), path: '/repo', keyword: 'pattern' },
    { kind: 'pipeline', text: `${PIPELINE}deploy: { path: srv/app }\n`.replace('deploy: { path: /srv/app }\n', ''), path: '/deploy/path', keyword: 'pattern' },
    { kind: 'pipeline', text: PIPELINE.replace('staging', 'staging, approval: later'), path: '/environments/0/approval', keyword: 'enum' },
    // Test-only pipelines have neither deploy nor environments; repo is what every pipeline needs.
    { kind: 'pipeline', text: PIPELINE.replace('repo: https://git.example.com/acme/app.git\n', ''), path: '', keyword: 'required' },
  ];
  for (const c of cases) {
    const errors = await check(c.kind, c.text);
    assert.ok(
      errors.some((e) => e.instancePath === c.path && e.keyword === c.keyword),
      `${JSON.stringify(c.text)}: expected ${c.keyword} at "${c.path}", got ${JSON.stringify(errors.map((e) => [e.instancePath, e.keyword]))}`,
    );
  }
});

test('a ${env:}/${file:} reference is accepted where validate accepts it, keys stay strict', async () => {
  assert.deepEqual(await check('hosts', 'web1: { address: "${env:WEB1_ADDRESS}", user: deploy }\n'), []);
  assert.deepEqual(await check('pipeline', PIPELINE.replace('https://git.example.com/acme/app.git', '"https://${env:GIT_HOST}/acme/app.git"')), []);
  const badKey = await check('hosts', '"${env:X}": { address: 10.0.0.1, user: deploy }\n');
  assert.ok(badKey.some((e) => e.keyword === 'pattern' || e.keyword === 'propertyNames'), JSON.stringify(badKey));
});
