// A stable id of this state folder (STATE/id), written once. Host deploy locks carry it, so a
// slipway can tell its own locks (whose runs it knows ended) from those of another installation.
import { randomUUID } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { tempNameFor } from './atomic.ts';
import { statePaths } from './paths.ts';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function readStateId(stateDir: string): Promise<string> {
  const file = statePaths(stateDir).id;
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (ID.test(existing)) return existing;
  // Written whole to a temp file and hard-linked in: of two first starts, one id wins.
  const temp = tempNameFor(file);
  await writeFile(temp, `${randomUUID()}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(temp, file).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      // A torn id (a crash between create and write cannot happen with link, but a hand edit can).
      if (!ID.test((await readFile(file, 'utf8').catch(() => '')).trim())) {
        await unlink(file).catch(() => undefined);
        await link(temp, file);
      }
    });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return (await readFile(file, 'utf8')).trim();
}
