// The generated files (schema/*.json, docs/configuration.md) are committed so that editors and
// readers get them without building anything; these tests fail the moment they lag behind
// src/config/schema.ts. Fix: node --import tsx scripts/gen-schema.ts && node --import tsx scripts/gen-config-docs.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { renderSchemaFiles, SCHEMA_DIR } from '../../scripts/gen-schema.ts';
import { DOCS_FILE, exampleOf, keyName, listKeys, renderConfigDocs } from '../../scripts/gen-config-docs.ts';
import { hostSchema, pipelineSchema, settingsSchema } from '../../src/config/schema.ts';

const ROOT = new URL('../../', import.meta.url);
const REGENERATE = 'run: node --import tsx scripts/gen-schema.ts && node --import tsx scripts/gen-config-docs.ts';

test('schema/*.schema.json are up to date with src/config/schema.ts', async () => {
  for (const [name, text] of Object.entries(renderSchemaFiles())) {
    const onDisk = await readFile(new URL(`${SCHEMA_DIR}/${name}`, ROOT), 'utf8').catch(() => '(missing)');
    assert.ok(onDisk === text, `${SCHEMA_DIR}/${name} is stale; ${REGENERATE}`);
  }
});

test('docs/configuration.md is up to date with src/config/schema.ts', async () => {
  const onDisk = await readFile(new URL(DOCS_FILE, ROOT), 'utf8').catch(() => '(missing)');
  assert.ok(onDisk === renderConfigDocs(), `${DOCS_FILE} is stale; ${REGENERATE}`);
});

test('every documented key has an example, and the example is valid for that key', () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  for (const [file, schema] of [['slipway.yaml', settingsSchema], ['hosts.yaml', hostSchema], ['pipelines/NAME.yaml', pipelineSchema]] as const) {
    const keys = listKeys(schema);
    assert.ok(keys.length > 3, `${file}: no keys found`);
    for (const doc of keys) {
      const example = exampleOf(doc, keys);
      const validate = ajv.compile(doc.schema);
      assert.ok(validate(example), `${file} ${keyName(doc.path)}: example ${JSON.stringify(example)} is invalid: ${ajv.errorsText(validate.errors)}`);
    }
  }
});

test('the reference names every key of the schema', () => {
  const docs = renderConfigDocs();
  for (const [prefix, schema] of [['', settingsSchema], ['NAME.', hostSchema], ['', pipelineSchema]] as const) {
    for (const doc of listKeys(schema)) assert.ok(docs.includes(`| [\`${prefix}${keyName(doc.path)}\`]`), `${keyName(doc.path)} is missing`);
  }
});
