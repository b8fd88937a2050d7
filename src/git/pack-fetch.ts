// Fetching one branch tip as a pack streamed to disk (git protocol v1 over smart HTTP, which
// every git server speaks), then indexed from disk. Memory stays near the largest object, not
// the pack: isomorphic-git's fetch held about 5x the pack (546 MB RSS for a 96 MB pack).
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError } from '../errors.ts';
import { indexPack } from './pack-index.ts';
import type { RemoteSpec } from './remote.ts';
import { FLUSH, pktLine, readPktLines, smartRequest } from './smart-http.ts';
import { fsyncPath } from '../state/atomic.ts';
export { readAdvertisement } from './remote-refs.ts';

/**
 * Fetches what `want` needs beyond `have` into gitdir/objects/pack as pack-<sha>.pack + .idx.
 * The pack is written and indexed under temporary names and renamed into place only when whole
 * (the .idx last: readers find packs by their index), so a fetch killed half-way leaves nothing.
 */
export async function fetchPack(opts: {
  remote: RemoteSpec;
  gitdir: string;
  want: string;
  have?: string;
  caps: Set<string>;
}): Promise<{ objects: number }> {
  const { remote, gitdir, want, have, caps } = opts;
  if (!caps.has('side-band-64k')) throw new GitError('the remote does not offer side-band-64k: its git is too old for slipway');
  const wanted = ['side-band-64k', 'ofs-delta', 'no-progress'].filter((c) => caps.has(c));
  const body = Buffer.concat([
    pktLine(`want ${want} ${[...wanted, 'agent=git/slipway'].join(' ')}\n`),
    FLUSH,
    ...(have ? [pktLine(`have ${have}\n`)] : []),
    pktLine('done\n'),
  ]);
  const res = await smartRequest({
    remote,
    path: '/git-upload-pack',
    method: 'POST',
    headers: { 'Content-Type': 'application/x-git-upload-pack-request', Accept: 'application/x-git-upload-pack-result' },
    body,
  });

  const packDir = join(gitdir, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  const tmp = join(packDir, `tmp-${randomUUID()}`);
  const file = await open(`${tmp}.pack`, 'wx');
  let closed = false;
  try {
    let bytes = 0;
    for await (const line of readPktLines(res)) {
      if (line === null) continue;
      const band = line[0];
      if (band === 1) {
        await file.write(line.subarray(1));
        bytes += line.length - 1;
      } else if (band === 3) {
        throw new GitError(`the remote refused the fetch: ${clean(line.subarray(1))}`);
      } else if (band !== 2) {
        const text = line.toString('utf8');
        if (text.startsWith('ERR ')) throw new GitError(`the remote refused the fetch: ${clean(line.subarray(4))}`);
        // ACK/NAK lines come before the pack; anything else is ignored like git does.
      }
    }
    await file.sync();
    await file.close();
    closed = true;
    if (bytes === 0) throw new GitError('the remote sent no pack');
    const index = await indexPack(`${tmp}.pack`);
    if (index.count === 0) return { objects: 0 };
    const name = join(packDir, `pack-${index.checksum}`);
    await writeFile(`${tmp}.idx`, index.idx, { flag: 'wx' });
    await fsyncPath(`${tmp}.idx`);
    await rename(`${tmp}.pack`, `${name}.pack`);
    await rename(`${tmp}.idx`, `${name}.idx`);
    await fsyncPath(packDir);
    return { objects: index.count };
  } finally {
    if (!closed) await file.close().catch(() => {});
    await rm(`${tmp}.pack`, { force: true });
    await rm(`${tmp}.idx`, { force: true });
  }
}

/** A remote's message without control characters (it ends up on a terminal and in pages). */
function clean(text: Buffer): string {
  return text.toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

