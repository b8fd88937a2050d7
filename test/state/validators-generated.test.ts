// src/state/validators.generated.ts is ajv's standalone code for src/state/state-schemas.ts: it
// must be what `npm run gen` writes now (a schema changed without regenerating fails here), it
// must import nothing (no ajv at runtime), and it must judge as ajv compiling the schema does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { GENERATED, stateValidatorsSource } from '../../scripts/gen-state-validators.ts';
import { stateSchemas } from '../../src/state/state-schemas.ts';
import * as generated from '../../src/state/validators.generated.ts';

test('validators.generated.ts is up to date with state-schemas.ts (run npm run gen) and imports nothing', async () => {
  const text = await readFile(GENERATED, 'utf8');
  assert.equal(text, stateValidatorsSource());
  assert.doesNotMatch(text, /require\(|^\s*import\b/m);
});

test('the generated validators give the errors ajv gives for the same value', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const compiled = ajv.compile(stateSchemas.host);
  const validate = (generated as unknown as Record<string, ((v: unknown) => boolean) & { errors?: unknown }>).host!;
  const cases: unknown[] = [
    { version: 1, host: 'web1', releases: {} },
    { version: 1, host: '', releases: {}, extra: 1 },
    { version: 'x' },
    { version: 1, host: '\u{1F600}', releases: {} },
    null,
  ];
  for (const value of cases) {
    assert.equal(validate(value), compiled(value), JSON.stringify(value));
    assert.deepEqual(validate.errors ?? null, compiled.errors ?? null, JSON.stringify(value));
  }
});
