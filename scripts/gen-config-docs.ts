// Writes docs/configuration.md from src/config/schema.ts: every key with its type, default,
// description and an example. Run: node --import tsx scripts/gen-config-docs.ts
// (test/packaging/generated.test.ts fails when the committed file differs from this output).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DURATION_PATTERN } from '../src/config/duration.ts';
import { PATTERN_HINTS, hostSchema, pipelineSchema, settingsSchema } from '../src/config/schema.ts';

type Schema = Record<string, unknown>;

export const DOCS_FILE = 'docs/configuration.md';

/** One documented key: where it sits (YAML path segments; '[]' = every list item) and its schema. */
export interface KeyDoc {
  path: string[];
  schema: Schema;
  /** Its parent object lists it in `required`. */
  required: boolean;
}

/**
 * Keys whose sub-keys are documented elsewhere: an environment's deploy has the pipeline's deploy
 * keys (without defaults: an unset key inherits), so listing them twice would only add noise.
 */
const SAME_AS: Record<string, string> = { 'environments.[].deploy': 'deploy' };

/** Every key of a schema, depth first, in the schema's own order. */
export function listKeys(schema: Schema, path: string[] = []): KeyDoc[] {
  const out: KeyDoc[] = [];
  const required = new Set((schema.required ?? []) as string[]);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const here = [...path, name];
    out.push({ path: here, schema: sub, required: required.has(name) });
    if (SAME_AS[here.join('.')]) continue;
    if (sub.type === 'object') out.push(...listKeys(sub, here));
    // One form of several is a map with keys of its own (observe: { every, files, service }).
    const map = ((sub.anyOf ?? []) as Schema[]).find((alt) => alt.type === 'object' && alt.properties);
    if (map) out.push(...listKeys(map, here));
    const items = sub.items as Schema | undefined;
    if (sub.type === 'array' && items?.type === 'object') out.push(...listKeys(items, [...here, '[]']));
  }
  return out;
}

/** `environments[].deploy.path` */
export function keyName(path: string[]): string {
  return path.join('.').replace(/\.\[\]/g, '[]');
}

export function typeOf(schema: Schema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  switch (schema.type) {
    case 'string': {
      if (schema.pattern === DURATION_PATTERN) return 'duration (`500ms`, `30s`, `10m`, `1h`)';
      const hint = typeof schema.pattern === 'string' ? PATTERN_HINTS[schema.pattern] : undefined;
      return hint ? `string: ${hint.expected}` : 'string';
    }
    case 'integer': {
      const bounds = [
        typeof schema.minimum === 'number' ? `≥ ${schema.minimum}` : '',
        typeof schema.maximum === 'number' ? `≤ ${schema.maximum}` : '',
      ].filter((b) => b !== '');
      return bounds.length > 0 ? `integer ${bounds.join(', ')}` : 'integer';
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      if (items.type === 'object') return 'list of maps';
      if (Array.isArray(items.enum)) return `list of ${items.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
      return `list of ${String(items.type)}s`;
    }
    case 'object':
      if (typeof schema.additionalProperties !== 'object') return 'map';
      return (schema.additionalProperties as Schema).type === 'array' ? 'map of NAME → list of strings' : 'map of NAME → string';
    default:
      if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).map((alt) => (alt.const === false ? '`false`' : typeOf(alt))).join(', or ');
      return String(schema.type);
  }
}

/** The example value of a key: its own `examples`, else its default, else one built from its parts. */
export function exampleOf(doc: KeyDoc, all: KeyDoc[]): unknown {
  const s = doc.schema;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined && !isEmpty(s.default)) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  const children = all.filter((d) => d.path.length > doc.path.length && startsWith(d.path, doc.path));
  const direct = (prefix: string[]): KeyDoc[] => children.filter((d) => d.path.length === prefix.length + 1 && startsWith(d.path, prefix));
  if (s.type === 'object' && SAME_AS[doc.path.join('.')] === undefined) {
    return Object.fromEntries(direct(doc.path).map((d) => [d.path.at(-1), exampleOf(d, all)]));
  }
  if (s.type === 'array' && (s.items as Schema | undefined)?.type === 'object') {
    const item = [...doc.path, '[]'];
    return [Object.fromEntries(direct(item).map((d) => [d.path.at(-1), exampleOf(d, all)]))];
  }
  if (SAME_AS[doc.path.join('.')] !== undefined) return { keepReleases: 10 };
  throw new Error(`${keyName(doc.path)} has no example: add examples: [...] to it in src/config/schema.ts`);
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length === 0;
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.every((segment, i) => path[i] === segment);
}

/** The example as a YAML snippet with its parents around it, as it would appear in the file. */
function exampleYaml(path: string[], value: unknown, root: string[]): string {
  let node: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i] ?? '';
    node = segment === '[]' ? [node] : { [segment]: node };
  }
  for (let i = root.length - 1; i >= 0; i--) node = { [root[i] ?? '']: node };
  return stringify(node, { lineWidth: 0, flowCollectionPadding: true }).trimEnd();
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchor(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

function inline(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text}\``;
}

interface FileSection {
  title: string;
  intro: string;
  schema: Schema;
  /** Path segments that wrap every key in examples (a host sits under its name). */
  root: string[];
  /** Prefix of key names in this file ("NAME." for a host). */
  prefix: string;
}

const FILES: FileSection[] = [
  {
    title: 'slipway.yaml',
    intro: 'Settings of this slipway installation. The file is optional: a missing one means every default.',
    schema: settingsSchema,
    root: [],
    prefix: '',
  },
  {
    title: 'hosts.yaml',
    intro: 'The inventory: each top-level key is a host name (letters, digits, `.`, `_`, `-`, starting with a letter or digit) and its value says how to reach the host over SSH. Environments in pipeline files name these hosts. The file is optional until a pipeline names a host.',
    schema: hostSchema,
    root: ['web1'],
    prefix: 'NAME.',
  },
  {
    title: 'pipelines/NAME.yaml',
    intro: 'One pipeline per file; its name is the file name without `.yaml` (letters, digits, `.`, `_`, `-`). A `.yml` file is an error, not silently skipped.',
    schema: pipelineSchema,
    root: [],
    prefix: '',
  },
];

function renderSection(section: FileSection): string[] {
  const keys = listKeys(section.schema);
  const lines: string[] = [`## ${section.title}`, '', section.intro, '', '| key | type | default |', '|---|---|---|'];
  const headings = keys.map((doc) => `${section.prefix}${keyName(doc.path)}`);
  const anchors = headings.map((h) => anchor(`\`${section.title}\` ${h}`));
  keys.forEach((doc, i) => {
    const def = doc.schema.default !== undefined ? inline(doc.schema.default) : doc.required ? '*required*' : '—';
    lines.push(`| [\`${headings[i]}\`](#${anchors[i]}) | ${typeOf(doc.schema).replace(/\|/g, '\\|')} | ${def} |`);
  });
  lines.push('');
  keys.forEach((doc, i) => {
    lines.push(`### \`${section.title}\` ${headings[i]}`, '');
    lines.push(String(doc.schema.description));
    const same = SAME_AS[doc.path.join('.')];
    if (same) lines.push(`It takes the keys of [\`${same}\`](#${anchor(`\`${section.title}\` ${same}`)}), none with a default: a key left out inherits the pipeline's value.`);
    lines.push('');
    lines.push(`- type: ${typeOf(doc.schema)}`);
    if (doc.schema.default !== undefined) lines.push(`- default: ${inline(doc.schema.default)}`);
    else lines.push(doc.required ? '- required' : '- optional, no default');
    const hint = typeof doc.schema.pattern === 'string' ? PATTERN_HINTS[doc.schema.pattern]?.hint : undefined;
    if (hint) lines.push(`- note: ${hint}`);
    lines.push('', '```yaml', exampleYaml(doc.path, exampleOf(doc, keys), section.root), '```', '');
  });
  return lines;
}

export function renderConfigDocs(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by scripts/gen-config-docs.ts from src/config/schema.ts. Do not edit by hand:',
    '     change the schema, then run `node --import tsx scripts/gen-config-docs.ts`. -->',
    '',
    'A config folder holds three kinds of file:',
    '',
    '```',
    'slipway.yaml          settings',
    'hosts.yaml            inventory: name -> host',
    'pipelines/NAME.yaml   one pipeline per file; its name is the file\'s name',
    '```',
    '',
    'Rules for every file:',
    '',
    '- Unknown keys are errors (with "did you mean" for a near miss). `slipway validate` reports every problem at once as `FILE:LINE:COL: message`.',
    '- Durations are strings with a unit: `500ms`, `30s`, `10m`, `1h`, `1d`, or combined like `1h30m`. A bare number is refused.',
    '- In any string value, `${env:NAME}` is replaced by an environment variable of the slipway process and `${file:PATH}` by the contents of a file (trailing newlines dropped). Every value brought in this way is masked as `***` in logs, pages, state and error messages. A variable that is not set or a file that cannot be read is a config error.',
    '- Paths that slipway itself reads (`stateDir`, key files, `${file:}`) may start with `~/` (the home of the user running slipway); relative paths are relative to the config folder. Paths on hosts (`deploy.path`) are absolute or start with `~/` (the deploy user\'s home).',
    '- YAML 1.2: `yes` is a string, and so is `"3001"`; write numbers without quotes where an integer is expected, and quote them where a string is (host `env` values).',
    '- Editors: the JSON Schemas in `schema/` (shipped with the package) describe these files; `slipway init` writes a `# yaml-language-server: $schema=…` line at the top of each starter file.',
    '',
  ];
  for (const section of FILES) lines.push(...renderSection(section));
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = join(fileURLToPath(new URL('..', import.meta.url)), DOCS_FILE);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderConfigDocs());
  console.log(`wrote ${DOCS_FILE}`);
}
