// The schema is the documentation: every key described, unknown keys refused everywhere, and
// every documented default valid for its own key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parseDuration } from '../../src/config/duration.ts';
import { hostsSchema, pipelineSchema, settingsSchema } from '../../src/config/schema.ts';
import { suggest } from '../../src/config/suggest.ts';

type Schema = Record<string, unknown>;

const schemas: Array<[string, Schema]> = [
  ['settings', settingsSchema],
  ['hosts', hostsSchema],
  ['pipeline', pipelineSchema],
];

/** Every sub-schema with the path that leads to it. */
function* walk(schema: Schema, path: string): Generator<[string, Schema]> {
  yield [path, schema];
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) yield* walk(sub, `${path}.${key}`);
  if (typeof schema.additionalProperties === 'object') yield* walk(schema.additionalProperties as Schema, `${path}.*`);
  if (typeof schema.items === 'object') yield* walk(schema.items as Schema, `${path}[]`);
}

for (const [name, schema] of schemas) {
  test(`${name} schema: every key has a description and unknown keys are refused`, () => {
    for (const [path, sub] of walk(schema, name)) {
      assert.equal(typeof sub.description, 'string', `${path} has no description`);
      assert.ok((sub.description as string).length > 3, `${path} has an empty description`);
      if (sub.type === 'object') {
        assert.ok(sub.additionalProperties !== undefined && sub.additionalProperties !== true, `${path} allows unknown keys`);
        if (sub.properties) assert.equal(sub.additionalProperties, false, `${path} allows unknown keys`);
      }
    }
  });

  test(`${name} schema: every default is valid for its key`, () => {
    const ajv = new Ajv({ strict: true });
    for (const [path, sub] of walk(schema, name)) {
      if (!('default' in sub)) continue;
      const { default: fallback, ...rest } = sub;
      assert.ok(ajv.validate(rest, fallback), `${path}: default ${JSON.stringify(fallback)} is invalid`);
    }
  });
}

test('durations', () => {
  const table: Array<[string, number | undefined]> = [
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s500ms', 90_500],
    ['30', undefined],
    ['10 minutes', undefined],
    ['1.5h', undefined],
    ['', undefined],
    ['-5s', undefined],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
});

test('suggest finds near misses only', () => {
  const keys = ['stateDir', 'concurrency', 'ssh', 'report', 'server', 'notify'];
  assert.equal(suggest('conncurrency', keys), 'concurrency');
  assert.equal(suggest('statedir', keys), 'stateDir');
  assert.equal(suggest('reprot', keys), 'report');
  assert.equal(suggest('colour', keys), undefined);
});
