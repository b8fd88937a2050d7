// Unpacking slipway's own tar.gz files (caches) into a workspace with GNU tar: it never writes
// outside the target (members with ".." or absolute names are refused, and symlinks are created
// last, so a member cannot be written through a link the same archive made).
import { execa } from 'execa';

export async function extractTarGz(file: string, dir: string): Promise<void> {
  const res = await execa('tar', ['-xzf', file, '-C', dir, '--no-same-owner', '--no-same-permissions'], { reject: false, stdin: 'ignore' });
  if (res.exitCode !== 0) throw new Error(`tar could not unpack ${file}: ${String(res.stderr).trim()}`);
}
