// ajv errors → located, readable issues. ajv speaks JSON Schema ("must be integer"); users need
// the key they wrote, the line it is on and what to write instead.
import type { ErrorObject } from 'ajv';
import type { ConfigIssue } from '../errors.ts';
import { DURATION_PATTERN } from './duration.ts';
import { formatPath, locate } from './locate.ts';
import type { Anchor, JsonPath, YamlSource } from './locate.ts';
import { PATTERN_HINTS } from './schema.ts';
import { suggest } from './suggest.ts';
import { maskSecrets } from '../exec/mask.ts';

type Schema = Record<string, unknown>;

/** What to add when a required key is missing, by key name. */
const REQUIRED_HINTS: Record<string, string> = {
  repo: 'add repo: with the git URL (https://...)',
  deploy: 'add a deploy: section with at least path:',
  environments: 'add environments: with at least one { name, hosts }',
  path: 'add path: with the folder on the hosts (absolute or ~/...)',
  address: 'add address: with the IP address or DNS name',
  user: 'add user: with the SSH login user',
  name: 'add name:',
  hosts: 'add hosts: with a list of host names from hosts.yaml',
  listen: 'add listen: HOST:PORT',
  webhook: 'add webhook: with the URL to POST to',
  token: 'add token:, e.g. token: "${env:GIT_TOKEN}"',
};

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'nothing',
};

/** `secrets`: values brought in by ${env:}/${file:}; masked before a value is cut or quoted. */
export function schemaIssues(errors: ErrorObject[], source: YamlSource, data: unknown, secrets: readonly string[] = []): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const error of collapse(errors)) {
    const described = describe(error, data, secrets);
    if (!described) continue;
    const { line, col } = locate(source, described.path, described.anchor);
    const where = formatPath(described.label ?? described.path);
    issues.push({ file: source.file, line, col, message: where === '' ? described.text : `${where}: ${described.text}` });
  }
  return issues;
}

/**
 * Drop what only repeats another error: the outer propertyNames error (its inner error names the
 * key), and the branches of a failed anyOf/oneOf, which become one message at the anyOf's place.
 */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  return errors.filter((error) => {
    if (error.keyword === 'propertyNames') return false;
    return !alternatives.some((alt) => alt !== error && error.schemaPath.startsWith(`${alt.schemaPath}/`));
  });
}

interface Described {
  /** Where the message points. */
  path: JsonPath;
  anchor: Anchor;
  /** The path named in the message, when it differs from where it points (a missing key). */
  label?: JsonPath;
  text: string;
}

function describe(error: ErrorObject, data: unknown, secrets: readonly string[]): Described | undefined {
  const show = (value: unknown): string => showValue(value, secrets);
  const path = toPath(error.instancePath, data);
  const parentSchema = (error.parentSchema ?? {}) as Schema;
  const params = error.params as Record<string, unknown>;
  if (error.propertyName !== undefined) {
    const expected = PATTERN_HINTS[String(params.pattern)]?.expected ?? 'a different name';
    return { path: [...path, error.propertyName], anchor: 'key', text: `invalid name; expected ${expected}` };
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((parentSchema.properties ?? {}) as Schema);
      const near = suggest(key, known);
      const text = near ? `unknown key; did you mean "${near}"?` : `unknown key; expected one of: ${known.join(', ')}`;
      return { path: [...path, key], anchor: 'key', text };
    }
    case 'required': {
      const key = String(params.missingProperty);
      // A missing key has no node: point at the map that should hold it.
      return { path, anchor: 'value', label: [...path, key], text: `missing required key; ${REQUIRED_HINTS[key] ?? `add ${key}:`}` };
    }
    case 'type':
      return { path, anchor: 'value', text: typeMessage(String(params.type), error.data, parentSchema, show) };
    case 'pattern': {
      const hint = PATTERN_HINTS[String(params.pattern)];
      const expected = hint?.expected ?? `text matching ${String(params.pattern)}`;
      const text = `expected ${expected}, got ${show(error.data)}${hint?.hint ? `; ${hint.hint}` : ''}`;
      return { path, anchor: 'value', text };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
      return { path, anchor: 'value', text: `expected one of ${allowed}, got ${show(error.data)}` };
    }
    case 'minimum':
      return { path, anchor: 'value', text: `must be at least ${String(params.limit)}, got ${show(error.data)}` };
    case 'maximum':
      return { path, anchor: 'value', text: `must be at most ${String(params.limit)}, got ${show(error.data)}` };
    case 'minItems':
      return { path, anchor: 'value', text: params.limit === 1 ? 'must not be empty; list at least one item' : `must list at least ${String(params.limit)} items` };
    case 'minLength':
      return { path, anchor: 'value', text: 'must not be empty' };
    case 'anyOf':
    case 'oneOf': {
      // A scalar where a list (or a map of lists) goes reads best as the list's own type error.
      const list = ((parentSchema[error.keyword] ?? []) as Schema[]).find((alt) => alt.type === 'array');
      if (list && (typeof error.data === 'string' || typeof error.data === 'number')) return { path, anchor: 'value', text: typeMessage('array', error.data, list, show) };
      // A number where a duration form exists (observe: 5) reads best as the duration's error.
      const alts = (parentSchema[error.keyword] ?? []) as Schema[];
      const duration = alts.find((alt) => alt.pattern === DURATION_PATTERN);
      if (duration && typeof error.data === 'number') return { path, anchor: 'value', text: typeMessage('string', error.data, duration, show) };
      // A map with a key the map form does not know (observe: { evry: 1m }): name the key.
      const map = alts.find((alt) => alt.type === 'object' && alt.additionalProperties === false && alt.properties);
      if (map && error.data && typeof error.data === 'object' && !Array.isArray(error.data)) {
        const known = Object.keys(map.properties as Schema);
        const unknown = Object.keys(error.data).find((k) => !known.includes(k));
        if (unknown !== undefined) {
          const near = suggest(unknown, known);
          return { path: [...path, unknown], anchor: 'key', text: near ? `unknown key; did you mean "${near}"?` : `unknown key; expected one of: ${known.join(', ')}` };
        }
      }
      return { path, anchor: 'value', text: `${show(error.data)} matches none of the allowed forms` };
    }
    default:
      return { path, anchor: 'value', text: error.message ?? 'is invalid' };
  }
}

function typeMessage(expectedType: string, value: unknown, schema: Schema, show: (value: unknown) => string): string {
  if (schema.pattern === DURATION_PATTERN) {
    const fix = typeof value === 'number' ? `; write it with a unit, like ${value}s` : '';
    return `expected a duration like 30s, 10m or 1h, got ${show(value)}${fix}`;
  }
  const expected = expectedType.split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
  let fix = '';
  if ((expectedType === 'integer' || expectedType === 'number') && typeof value === 'string' && /^-?[0-9.]+$/.test(value)) {
    fix = '; write it without quotes';
  } else if (expectedType === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    fix = '; put it in quotes';
  } else if (expectedType === 'array' && typeof value === 'string') {
    fix = `; write a list, like [${show(value).replace(/^string /, '')}]`;
  } else if (value === null) {
    fix = '; fill it in or remove the key';
  }
  return `expected ${expected}, got ${show(value)}${fix}`;
}

/**
 * A value as the user wrote it, typed, and short enough for one line. Secrets are masked and a
 * URL's userinfo is replaced *before* the value is cut and quoted: cut or JSON-escaped first, a
 * secret no longer matches itself and its first 57 characters used to be printed.
 */
function showValue(value: unknown, secrets: readonly string[]): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    const safe = maskSecrets(value, secrets).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
    const text = safe.length > 60 ? `${safe.slice(0, 57)}...` : safe;
    return `string ${JSON.stringify(text)}`;
  }
  return `${typeof value} ${String(value)}`;
}

/** ajv's JSON Pointer → path segments, numbers where the container is a list. */
function toPath(pointer: string, data: unknown): JsonPath {
  if (pointer === '') return [];
  const path: JsonPath = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(key));
      node = node[Number(key)];
    } else {
      path.push(key);
      node = (node as Record<string, unknown> | undefined)?.[key];
    }
  }
  return path;
}
