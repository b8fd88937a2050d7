// `slipway init [DIR]`: a commented starter config folder. Every file is checked before the first
// one is written, and each is created with O_EXCL, so init never overwrites anything, not even a
// file that appears while it runs.
import { lstat, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlipwayError } from '../errors.ts';
import { displayPath } from '../config/load.ts';
import { starterFiles } from './init-templates.ts';
import type { Output } from '../wiring/output.ts';

/** The shipped JSON Schemas: <package>/schema/, two folders up from src/commands/ and dist/commands/. */
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export interface InitOptions {
  /** The folder to write (DIR, else --config, else $SLIPWAY_CONFIG, else ./config). */
  dir: string;
  cwd?: string;
  /** Where the schema files live; tests may point elsewhere. */
  schemaDir?: string;
}

export async function initCommand(opts: InitOptions, output: Output): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  const dir = resolve(cwd, opts.dir);
  const shown = displayPath(dir, cwd);
  const schemaDir = opts.schemaDir ?? SCHEMA_DIR;
  const reference = await schemaReference({ dir, cwd, schemaDir });
  const files: Record<string, string> = starterFiles({ schemaRef: reference.ref });
  // Outside the project slipway is installed in (a global install, npx): a copy of the schemas
  // beside the config, so the $schema lines work in every clone of the config repo.
  if (reference.copy) {
    for (const name of SCHEMA_FILES) files[`schema/${name}`] = await readFile(join(schemaDir, name), 'utf8');
  }

  const taken: string[] = [];
  for (const rel of Object.keys(files)) {
    if (await exists(join(dir, rel))) taken.push(displayPath(join(dir, rel), cwd));
  }
  if (taken.length > 0) {
    throw new SlipwayError(
      `${taken.join(', ')} already ${taken.length === 1 ? 'exists' : 'exist'}; init never overwrites a file: move ${taken.length === 1 ? 'it' : 'them'} away or choose another folder (slipway init DIR)`,
    );
  }
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, text, { flag: 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' ? 'it appeared while init ran' : (code ?? (err as Error).message);
      throw new SlipwayError(`cannot write ${displayPath(path, cwd)} (${why})`, { cause: err });
    }
    output.out(`wrote ${displayPath(path, cwd)}`);
  }

  const config = shown === 'config' ? '' : ` --config ${shown}`;
  output.out('');
  output.out('Next:');
  output.out(`  1. Fill in the lines marked CHANGE ME in ${join(shown, 'hosts.yaml')} and ${join(shown, 'pipelines', 'example.yaml')}`);
  output.out('     (your repository, your hosts, the deploy path and restart command).');
  output.out('  2. Give slipway an SSH key and your hosts\' keys (see the comments in slipway.yaml):');
  output.out('       ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519   then add ~/.ssh/id_ed25519.pub to each host\'s deploy user');
  output.out('       ssh-keyscan -H HOST >> ~/.ssh/known_hosts    then compare the fingerprint with the host\'s own');
  output.out(`  3. Check and try it: slipway validate${config}, then slipway plan${config} and slipway once${config}.`);
  return 0;
}

const SCHEMA_FILES = ['slipway.schema.json', 'hosts.schema.json', 'pipeline.schema.json'];

/**
 * What the `$schema=` lines point at, from DIR. The package's schema folder by a relative path
 * when slipway is installed inside the project the config lives in (node_modules/slipway under
 * the cwd); otherwise (a global or npx install, whose path is this machine's only) DIR/schema/,
 * a copy init writes. Either way the line works in every clone of the config repo. Slashes:
 * editors read it as a URI reference.
 */
async function schemaReference(where: { dir: string; cwd: string; schemaDir: string }): Promise<{ ref: string; copy: boolean }> {
  const schemaDir = await realpath(where.schemaDir).catch(() => where.schemaDir);
  const cwd = await realpath(where.cwd).catch(() => where.cwd);
  const dir = await realDir(where.dir);
  const inside = (parent: string, child: string): boolean => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
  if (inside(cwd, schemaDir) && inside(cwd, dir)) {
    const rel = relative(dir, schemaDir).split(sep).join('/');
    return { ref: rel === '' ? '.' : rel, copy: false };
  }
  return { ref: 'schema', copy: true };
}

/** DIR may not exist yet: resolve the nearest existing parent and add the rest. */
async function realDir(dir: string): Promise<string> {
  let existing = dir;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return dir;
      rest.unshift(existing.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      existing = parent;
    }
  }
}

/** lstat, not access: a dangling symlink is a name that is taken too. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
