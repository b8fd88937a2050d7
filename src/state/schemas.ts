// Every state file is validated when read, so a hand-edited or foreign file fails loudly, naming
// the file and the field, instead of surfacing later as an undefined deep inside a deploy.
// The schemas themselves: state-schemas.ts.

import type { ErrorObject } from 'ajv';
import { StateError } from '../errors.ts';
import { STATE_VERSION } from './types.ts';
import * as generated from './validators.generated.ts';

// Precompiled by ajv's standalone code generation (validators.generated.ts, from
// state-schemas.ts): importing ajv and compiling these five schemas cost every process ~17 MB of
// RSS (measured with `node --expose-gc`, docs/benchmarks.md), the daemon's largest share after Node.
type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validators = generated as unknown as Record<StateKind, Validate>;

export type StateKind = 'run' | 'pipeline' | 'host' | 'inbox' | 'answer';

/**
 * Parses and validates one state file's text. `file` is how the message names it. Throws a
 * StateError listing every problem, e.g. "state/runs/app/3.json: /status must be one of ...".
 */
export function parseStateFile<T>(kind: StateKind, file: string, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateError(`${file}: not valid JSON (${(err as Error).message}); fix or remove the file`, { cause: err });
  }
  checkStateValue(kind, file, value);
  return value as T;
}

/** Validates a value about to be written or just read; throws StateError naming the file. */
export function checkStateValue(kind: StateKind, file: string, value: unknown): void {
  if (value !== null && typeof value === 'object' && 'version' in value) {
    const v = (value as { version: unknown }).version;
    if (typeof v === 'number' && v > STATE_VERSION) {
      throw new StateError(
        `${file}: written by a newer slipway (version ${v}; this one knows up to ${STATE_VERSION}); upgrade slipway`,
      );
    }
  }
  const validate = validators[kind];
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(describeError);
    throw new StateError(`${file}: ${[...new Set(problems)].join('; ')}`);
  }
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath;
  switch (e.keyword) {
    case 'enum':
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'required':
      return `${where} is missing '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'additionalProperties':
      return `${where} has an unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
