// Host key verification. Never trust on first use: a host is accepted only when the key it offers
// is pinned in the config (hostKey) or listed for it in a known_hosts file.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  type: string;
  blob: Buffer;
}

/** "SHA256:" + base64 of the blob's sha256 without '=' padding, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH files a host under: "host" on port 22, else "[host]:port". */
function hostKeyName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** A host field compiled once: a hashed name (salt, HMAC) or a list of (negated) glob patterns. */
type HostMatcher = { hashed: { salt: Buffer; want: Buffer } | undefined; patterns: Array<{ negated: boolean; re: RegExp }> };

function compileHosts(field: string): HostMatcher {
  if (field.startsWith('|')) {
    const parts = field.split('|');
    // "|1|salt|hmac" splits into ['', '1', salt, hmac]
    if (parts.length !== 4 || parts[1] !== '1') return { hashed: undefined, patterns: [] };
    const salt = Buffer.from(parts[2] ?? '', 'base64');
    const want = Buffer.from(parts[3] ?? '', 'base64');
    return { hashed: salt.length === 0 || want.length !== 20 ? undefined : { salt, want }, patterns: [] };
  }
  const patterns: HostMatcher['patterns'] = [];
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (pattern !== '') patterns.push({ negated, re: globToRegExp(pattern) });
  }
  return { hashed: undefined, patterns };
}

/** OpenSSH semantics: any matching negated pattern wins; otherwise any matching positive pattern. */
function matchHosts(m: HostMatcher, names: string[]): boolean {
  if (m.hashed) {
    const { salt, want } = m.hashed;
    return names.some((name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), want));
  }
  let matched = false;
  for (const { negated, re } of m.patterns) {
    if (names.some((name) => re.test(name))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function decodeKey(type: string, base64: string): KnownKey | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  // The blob starts with its own type as an SSH string; a mismatch means a corrupt line.
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (blob.toString('latin1', 4, 4 + len) !== type) return undefined;
  return { type, blob };
}

interface Entry extends KnownKey {
  marker: 'none' | 'revoked' | 'cert-authority';
}

type Line = { hosts: HostMatcher; marker: Entry['marker']; type: string; base64: string };

function parseLines(knownHostsText: string): Line[] {
  const out: Line[] = [];
  for (const rawLine of knownHostsText.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: Entry['marker'] = 'none';
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: never read it as a plain entry
    }
    const [hosts, type, base64] = fields;
    if (hosts === undefined || type === undefined || base64 === undefined) continue;
    out.push({ hosts: compileHosts(hosts), marker, type, base64 });
  }
  return out;
}

// The lines of each known_hosts file, compiled once per content: every connect read the whole
// file and compiled a RegExp per pattern, twice (0.40 ms per connect with 100 plain lines, so a
// fleet of N hosts cost O(N²)); now 0.05 ms (node of a 1,000-verifier loop against dist/). The
// file is still read at every connect, so an edit counts from the next one.
const compiled = new Map<string, { text: string; lines: Line[] }>();

function linesOf(file: string | undefined, text: string): Line[] {
  if (file === undefined) return parseLines(text);
  const known = compiled.get(file);
  if (known?.text === text) return known.lines;
  const lines = parseLines(text);
  compiled.set(file, { text, lines });
  return lines;
}

function findEntries(lines: Line[], address: string, port: number): Entry[] {
  const names = [hostKeyName(address, port)];
  // Entries written for port 22 may still use the bracketed form.
  if (port === 22) names.push(`[${address}]:22`);
  const out: Entry[] = [];
  for (const line of lines) {
    if (!matchHosts(line.hosts, names)) continue;
    const key = decodeKey(line.type, line.base64);
    if (key) out.push({ ...key, marker: line.marker });
  }
  return out;
}

/** Keys a known_hosts text lists for address:port (plain and hashed entries; markers excluded). */
export function findKnownKeys(knownHostsText: string, address: string, port: number): KnownKey[] {
  return findEntries(parseLines(knownHostsText), address, port)
    .filter((e) => e.marker === 'none')
    .map(({ type, blob }) => ({ type, blob }));
}

/** Keys marked `@revoked` for address:port: a host offering one of these is refused. */
export function findRevokedKeys(knownHostsText: string, address: string, port: number): KnownKey[] {
  return findEntries(parseLines(knownHostsText), address, port)
    .filter((e) => e.marker === 'revoked')
    .map(({ type, blob }) => ({ type, blob }));
}

export interface HostVerifier {
  verify(blob: Buffer): boolean;
  /** Fingerprints we would accept. Empty: nothing known, every key is refused. */
  expected: string[];
  /** Where `expected` came from, for messages: "hostKey" or the known_hosts path. */
  source: string;
  /** Key types we know for this host (empty for a bare fingerprint pin), to steer negotiation. */
  keyTypes: string[];
  /** The fingerprint the host offered; set by verify(). */
  offered?: string;
  /** Set by verify() when the offered key is listed as @revoked. */
  revoked?: boolean;
}

function readKnownHosts(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

function parsePinned(pinned: string): { fingerprint: string; type?: string } {
  const text = pinned.trim();
  if (text.startsWith('SHA256:')) return { fingerprint: text.replace(/=+$/, '') };
  const [type, base64] = text.split(/\s+/);
  const key = type !== undefined && base64 !== undefined ? decodeKey(type, base64) : undefined;
  if (!key) throw new Error(`hostKey is neither a public key line ("ssh-ed25519 AAAA...") nor a SHA256: fingerprint`);
  return { fingerprint: fingerprintSha256(key.blob), type: key.type };
}

/**
 * Accepts a host key only if it is pinned (`pinned` wins over known_hosts) or listed for
 * address:port in knownHostsFile, and never if it is listed there as @revoked.
 */
export function makeHostVerifier(opts: {
  address: string;
  port: number;
  knownHostsFile?: string;
  pinned?: string;
}): HostVerifier {
  const text = opts.knownHostsFile !== undefined ? readKnownHosts(opts.knownHostsFile) : '';
  const entries = findEntries(linesOf(opts.knownHostsFile, text), opts.address, opts.port);
  const revoked = new Set(entries.filter((e) => e.marker === 'revoked').map((k) => fingerprintSha256(k.blob)));
  let expected: string[];
  let keyTypes: string[];
  let source: string;
  if (opts.pinned !== undefined && opts.pinned.trim() !== '') {
    const pin = parsePinned(opts.pinned);
    expected = [pin.fingerprint];
    keyTypes = pin.type !== undefined ? [pin.type] : [];
    source = 'hostKey';
  } else {
    const known = entries.filter((e) => e.marker === 'none');
    expected = [...new Set(known.map((k) => fingerprintSha256(k.blob)))];
    keyTypes = [...new Set(known.map((k) => k.type))];
    source = opts.knownHostsFile ?? 'known_hosts';
  }
  const verifier: HostVerifier = {
    expected,
    source,
    keyTypes,
    verify(blob: Buffer): boolean {
      const offered = fingerprintSha256(blob);
      verifier.offered = offered;
      verifier.revoked = revoked.has(offered);
      return !verifier.revoked && expected.includes(offered);
    },
  };
  return verifier;
}
