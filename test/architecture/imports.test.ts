// The one-way flow, pinned: the two front ends (commands/ for the CLI, daemon/ for `slipway run`)
// never import each other — what both need lives in wiring/ — and the core below them (pipeline/,
// state/, report/, ssh/, git/, exec/, config/, forge/) never reaches up into any front end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const src = new URL('../../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import (static, `export … from` and dynamic) of a file, as the src/ folder it lands in. */
function importedFolders(file: string): Array<{ spec: string; folder: string }> {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((spec) => ({ spec, folder: relative(src, resolve(dirname(file), spec)).split('/')[0]! }));
}

const FRONT = ['commands', 'daemon'];
const CORE = ['pipeline', 'state', 'report', 'ssh', 'git', 'exec', 'config', 'forge'];

test('commands/ and daemon/ never import each other; wiring/ and the core never import either', () => {
  const bad: string[] = [];
  for (const file of files(src)) {
    const from = relative(src, file).split('/')[0]!;
    for (const { spec, folder } of importedFolders(file)) {
      const crossFront = FRONT.includes(from) && FRONT.includes(folder) && folder !== from;
      const upFromBelow = (from === 'wiring' || CORE.includes(from)) && (FRONT.includes(folder) || (CORE.includes(from) && folder === 'wiring'));
      if (crossFront || upFromBelow) bad.push(`${relative(src, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the import scan sees imports (it can fail)', () => {
  const seen = importedFolders(join(src, 'wiring', 'runtime.ts')).map((i) => i.folder);
  assert.ok(seen.includes('pipeline') && seen.includes('state'), seen.join(' '));
  const cli = importedFolders(join(src, 'cli.ts')).map((i) => i.folder);
  assert.ok(cli.includes('commands') && cli.includes('daemon'), 'dynamic imports are seen too');
});
