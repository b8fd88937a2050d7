// Every file below a folder, by its path relative to it: for byte-for-byte comparisons of two trees.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function treeFiles(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(root, p), await readFile(p));
    }
  };
  await walk(root);
  return out;
}
