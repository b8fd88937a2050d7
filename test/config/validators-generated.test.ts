// src/config/validators.generated.ts is ajv's standalone code for the config schemas: it must be
// what `npm run gen` writes now (a schema changed without regenerating fails here), import
// nothing, and judge (errors, defaults filled in) as ajv compiling the schema at runtime does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { CONFIG_AJV_OPTIONS, GENERATED_CONFIG, configValidatorsSource } from '../../scripts/gen-config-validators.ts';
import { pipelineSchema } from '../../src/config/schema.ts';
import * as generated from '../../src/config/validators.generated.ts';

test('config validators.generated.ts is up to date with schema.ts (run npm run gen) and imports nothing', async () => {
  const text = await readFile(GENERATED_CONFIG, 'utf8');
  assert.equal(text, configValidatorsSource());
  assert.doesNotMatch(text, /require\(|^\s*import\b/m);
});

test('the generated config validators give the errors and defaults ajv gives', () => {
  const compiled = new Ajv({ ...CONFIG_AJV_OPTIONS }).compile(pipelineSchema);
  const validate = (generated as unknown as Record<string, ((v: unknown) => boolean) & { errors?: unknown }>).pipeline!;
  const cases: unknown[] = [
    { repo: 'https://git.example/app.git', test: ['true'] },
    { repo: 'https://git.example/app.git', deploy: { path: '/srv/app', restart: 'true' }, environments: [{ name: 'production', hosts: ['web1'] }] },
    { repo: 42, tset: [], timeout: 'soon' },
    { repo: 'https://git.example/app.git', environments: [{ name: 'x', hosts: 'web1', batch: 0 }] },
    null,
  ];
  for (const value of cases) {
    const a = structuredClone(value);
    const b = structuredClone(value);
    assert.equal(validate(a), compiled(b), JSON.stringify(value));
    assert.deepEqual(validate.errors ?? null, compiled.errors ?? null, JSON.stringify(value));
    assert.deepEqual(a, b, `defaults filled in alike: ${JSON.stringify(value)}`);
  }
});
