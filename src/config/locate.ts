// A parsed YAML file that can answer "where is this value?": issues point at FILE:LINE:COL of the
// node a JSON path leads to, so every message, whether from ajv or a cross-field rule, lands on
// the line the user has to edit.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { ConfigIssue } from '../errors.ts';

export type JsonPath = Array<string | number>;

export interface YamlSource {
  /** As shown in messages: reachable from the cwd. */
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** Where in the node a path leads to: its key (unknown keys), its value, or the value's start. */
export type Anchor = 'key' | 'value';

export function parseYamlSource(file: string, text: string): { source: YamlSource; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  // uniqueKeys stays on (the default): a repeated key is an error, not a silent last-one-wins.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const issues = doc.errors.map((error) => {
    const [start] = error.linePos ?? [{ line: 1, col: 1 }];
    return { file, line: start.line, col: start.col, message: cleanYamlMessage(error.code, error.message) };
  });
  return { source: { file, doc, lineCounter }, issues };
}

/** yaml's message carries " at line L, column C:" and a code excerpt; FILE:LINE:COL says that already. */
function cleanYamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  const bare = first.replace(/ at line \d+, column \d+:?\s*$/, '').trim();
  const fix = code === 'DUPLICATE_KEY' ? 'remove or rename the repeated key' : 'fix the YAML syntax';
  return `YAML: ${bare}; ${fix}`;
}

export function formatPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function locate(source: YamlSource, path: JsonPath, anchor: Anchor = 'value'): { line: number; col: number } {
  let node: unknown = source.doc.contents;
  let position = startOf(source, node) ?? { line: 1, col: 1 };
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) return position;
      if (last && anchor === 'key') return startOf(source, pair.key) ?? position;
      position = startOf(source, pair.value) ?? startOf(source, pair.key) ?? position;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) return position;
      position = startOf(source, item) ?? position;
      node = item;
    } else {
      return position;
    }
  }
  return position;
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function startOf(source: YamlSource, node: unknown): { line: number; col: number } | undefined {
  const range = (node as Node | null | undefined)?.range;
  // An empty value (`deploy:` and nothing after it) has no position of its own worth showing.
  if (!range || (isScalar(node) && node.value === null && range[0] === range[1])) return undefined;
  return source.lineCounter.linePos(range[0]);
}
