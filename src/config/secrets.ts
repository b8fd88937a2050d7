// `${env:NAME}` and `${file:PATH}` in any string value of a config file. Substitution happens before
// validation so a secret can fill any key; every value brought in is recorded so that logs, pages
// and state can mask it, and error messages never quote it (load masks them at the end).
import { readFile } from 'node:fs/promises';
import type { JsonPath } from './locate.ts';
import { resolveLocalPath } from './local-path.ts';

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;

export interface SecretContext {
  env: NodeJS.ProcessEnv;
  configDir: string;
  home: string;
  /** Keep a reference whose secret is missing as its own text instead of a problem (see LoadOptions). */
  keepMissing?: boolean;
}

export interface SecretProblem {
  path: JsonPath;
  message: string;
}

export interface Substituted {
  value: unknown;
  secrets: string[];
  /** Absolute paths of the ${file:..} files read (a sandbox hides them). */
  files: string[];
  problems: SecretProblem[];
}

/** A copy of `value` with every reference in its strings replaced. */
export async function substituteSecrets(value: unknown, context: SecretContext): Promise<Substituted> {
  const secrets: string[] = [];
  const files: string[] = [];
  const problems: SecretProblem[] = [];
  const walk = async (node: unknown, path: JsonPath): Promise<unknown> => {
    if (typeof node === 'string') return substituteString(node, path, context, { secrets, files, problems });
    if (Array.isArray(node)) {
      const out: unknown[] = [];
      for (const [index, item] of node.entries()) out.push(await walk(item, [...path, index]));
      return out;
    }
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) out[key] = await walk(item, [...path, key]);
      return out;
    }
    return node;
  };
  const result = await walk(value, []);
  return { value: result, secrets, files, problems };
}

async function substituteString(
  text: string,
  path: JsonPath,
  context: SecretContext,
  found: { secrets: string[]; files: string[]; problems: SecretProblem[] },
): Promise<string> {
  const references = [...text.matchAll(REFERENCE)];
  if (references.length === 0) return text;
  const values: string[] = [];
  for (const [reference, kind, name] of references) {
    if (kind === 'file') {
      const absolute = resolveLocalPath(name ?? '', context.configDir, context.home);
      if (!found.files.includes(absolute)) found.files.push(absolute);
    }
    const value = kind === 'env' ? readEnv(name ?? '', context) : await readSecretFile(name ?? '', context);
    if (typeof value === 'object') {
      if (!context.keepMissing) found.problems.push({ path, message: value.problem });
      values.push(reference);
      continue;
    }
    // An empty secret would mask every gap between two characters; there is nothing to hide anyway.
    if (value !== '' && !found.secrets.includes(value)) found.secrets.push(value);
    values.push(value);
  }
  let index = 0;
  return text.replace(REFERENCE, () => values[index++] ?? '');
}

function readEnv(name: string, context: SecretContext): string | { problem: string } {
  const value = context.env[name];
  if (value === undefined) {
    return { problem: `environment variable ${name} is not set; export it where slipway runs` };
  }
  return value;
}

async function readSecretFile(path: string, context: SecretContext): Promise<string | { problem: string }> {
  const absolute = resolveLocalPath(path, context.configDir, context.home);
  try {
    return (await readFile(absolute, 'utf8')).replace(/[\r\n]+$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    const why = describeFsCode(code);
    return { problem: `cannot read secret file ${absolute} (${why}); create it or fix the path` };
  }
}

export function describeFsCode(code: string): string {
  const known: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder' };
  return known[code] ?? code;
}
