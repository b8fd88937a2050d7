// The private key a connection signs in with, parsed once per process and file content.
// ssh2 parses its `privateKey` on every connect (an OpenSSH ed25519 key: base64, bcrypt-less
// unwrap, two KeyObject imports through asn1): 100 host entries parsed the same file 100 times.
// The file is still read at every connect, so a key replaced on disk is used from the next one.

import { readFile } from 'node:fs/promises';
import type { ParsedKey } from 'ssh2';

/** A usable key, or why not: the file cannot be `read`, or its content cannot be `parse`d. */
export type Identity = { key: ParsedKey } | { problem: 'read' | 'parse'; message: string; cause?: unknown };

// One entry per identity path: the content it was parsed from and the key. A daemon with a
// rotated key keeps the newest only.
const parsed = new Map<string, { text: string; key: ParsedKey }>();

/** The parsed private key in file `path`, or why it cannot be used (a bad key in ssh2's own words). */
export async function loadIdentity(path: string): Promise<Identity> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    return { problem: 'read', message: (err as NodeJS.ErrnoException).code ?? (err as Error).message, cause: err };
  }
  const text = data.toString('latin1');
  const known = parsed.get(path);
  if (known?.text === text) return { key: known.key };
  const { default: ssh2 } = await import('ssh2');
  // The same checks, in the same words, as ssh2's Client.connect makes of a `privateKey`.
  const result = ssh2.utils.parseKey(data) as ParsedKey | ParsedKey[] | Error;
  if (result instanceof Error) return { problem: 'parse', message: `Cannot parse privateKey: ${result.message}`, cause: result };
  // OpenSSH's newer format holds one key.
  const key = Array.isArray(result) ? result[0] : result;
  if (key === undefined || key.getPrivatePEM() === null) {
    return { problem: 'parse', message: 'privateKey value does not contain a (valid) private key' };
  }
  parsed.set(path, { text, key });
  return { key };
}
