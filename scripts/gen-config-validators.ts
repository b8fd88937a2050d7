// src/config/validators.generated.ts: the config schemas (src/config/schema.ts) compiled by ajv's
// standalone code generation with the options loadConfig used to compile them with at runtime
// (allErrors, useDefaults, verbose, strict), so a CLI command does not import ajv and compile
// three schemas on every start (~0.3 s of CPU measured, issue 13). The one runtime helper the
// code needs is written in, as for the state validators.
// Run by `npm run gen`; test/config/validators-generated.test.ts fails when the file is stale.
import { writeFile } from 'node:fs/promises';
import { hostsSchema, pipelineSchema, settingsSchema } from '../src/config/schema.ts';
import { standaloneValidators } from './gen-state-validators.ts';

export const GENERATED_CONFIG = new URL('../src/config/validators.generated.ts', import.meta.url);

export const CONFIG_AJV_OPTIONS = { allErrors: true, useDefaults: true, verbose: true, strict: true } as const;

/** The file's text: validators `settings`, `hosts` and `pipeline`. */
export function configValidatorsSource(): string {
  return standaloneValidators({ settings: settingsSchema, hosts: hostsSchema, pipeline: pipelineSchema }, CONFIG_AJV_OPTIONS, 'scripts/gen-config-validators.ts from src/config/schema.ts');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(GENERATED_CONFIG, configValidatorsSource());
  console.log('wrote src/config/validators.generated.ts');
}
