// deploy.shared: files and folders that outlive releases (an .env, uploads) live in PATH/shared/
// and each new release gets a link to them before its steps run, as Capistrano's linked_files
// and linked_dirs do. Pure: returns the remote script; quoting only through src/ssh/quote.ts.
import { remotePath } from './remote-commands.ts';

/**
 * A folder (written with a trailing "/") is made in shared/ when missing; a file must exist
 * there (slipway cannot know its contents). Whatever the release brought at that path is
 * replaced by the link: the shared copy wins, as it does on every deploy.
 */
export function sharedLinksScript(path: string, release: string, shared: readonly string[]): string {
  const parts = ['set -e'];
  for (const entry of shared) {
    const folder = entry.endsWith('/');
    const name = entry.replace(/\/+$/, '');
    const target = remotePath(path, 'shared', name);
    const link = remotePath(path, 'releases', release, name);
    const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    if (folder) parts.push(`mkdir -p ${target}`);
    else {
      parts.push(`[ -f ${target} ] || { echo "shared file "${target}" is missing on this host; create it (it is linked into every release as ${name})" >&2; exit 1; }`);
    }
    if (parent) parts.push(`mkdir -p ${remotePath(path, 'releases', release, parent)}`);
    parts.push(`rm -rf ${link}`, `ln -s ${target} ${link}`, `echo "linked ${name} -> shared/${name}"`);
  }
  return parts.join('; ');
}
