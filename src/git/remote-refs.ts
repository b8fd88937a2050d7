// Reading a remote's refs over smart HTTP: the protocol v2 `ls-refs` command filtered by prefix
// for polls (a repo with thousands of pull-request refs and tags costs the same as one branch),
// and the protocol v1 advertisement that a v1 fetch starts from.
import type { RemoteSpec } from './remote.ts';
import { DELIM, FLUSH, pktLine, readPktLines, smartRequest } from './smart-http.ts';

export interface Advertisement {
  refs: Map<string, string>;
  caps: Set<string>;
}

const ADVERTISEMENT = 'application/x-git-upload-pack-advertisement';

/** The remote's refs and capabilities (protocol v1 advertisement of git-upload-pack). */
export async function readAdvertisement(remote: RemoteSpec): Promise<Advertisement> {
  const lines = await getInfoRefs(remote, false);
  return parseV1(lines);
}

/** Refs whose names start with `prefix`: protocol v2 when the server speaks it, else v1. */
export async function listRemoteRefs(remote: RemoteSpec, prefix: string): Promise<Map<string, string>> {
  const lines = await getInfoRefs(remote, true);
  if (!lines.some((l) => l === 'version 2')) {
    const { refs } = parseV1(lines);
    return new Map([...refs].filter(([name]) => name.startsWith(prefix)));
  }
  const body = Buffer.concat([pktLine('command=ls-refs\n'), pktLine('agent=git/slipway\n'), DELIM, pktLine(`ref-prefix ${prefix}\n`), FLUSH]);
  const res = await smartRequest({
    remote,
    path: '/git-upload-pack',
    method: 'POST',
    headers: { 'Git-Protocol': 'version=2', 'Content-Type': 'application/x-git-upload-pack-request', Accept: 'application/x-git-upload-pack-result' },
    body,
  });
  const refs = new Map<string, string>();
  for await (const line of readPktLines(res)) {
    if (line === null) continue;
    const [oid, name] = line.toString('utf8').replace(/\n$/, '').split(' ');
    if (oid && name && /^[0-9a-f]{40}$/.test(oid) && name.startsWith(prefix)) refs.set(name, oid);
  }
  return refs;
}

async function getInfoRefs(remote: RemoteSpec, v2: boolean): Promise<string[]> {
  const res = await smartRequest({
    remote,
    path: '/info/refs?service=git-upload-pack',
    method: 'GET',
    ...(v2 ? { headers: { 'Git-Protocol': 'version=2' } } : {}),
  });
  // A dumb-HTTP server or a web page answers 200 too; only this content type is smart HTTP.
  if (!String(res.headers['content-type'] ?? '').startsWith(ADVERTISEMENT)) {
    res.resume();
    throw Object.assign(new Error('not a smart-HTTP remote'), { code: 'SmartHttpError' });
  }
  const lines: string[] = [];
  for await (const line of readPktLines(res)) if (line !== null) lines.push(line.toString('utf8').replace(/\n$/, ''));
  return lines;
}

function parseV1(lines: string[]): Advertisement {
  const refs = new Map<string, string>();
  const caps = new Set<string>();
  let first = true;
  for (let text of lines) {
    if (text.startsWith('# service=')) continue;
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      if (first) for (const cap of text.slice(nul + 1).split(' ')) if (cap) caps.add(cap);
      text = text.slice(0, nul);
    }
    first = false;
    const [oid, name] = text.split(' ');
    if (oid && name && /^[0-9a-f]{40}$/.test(oid)) refs.set(name, oid);
  }
  return { refs, caps };
}
