// Stat data of files, as git's index and rsync's quick check use it: a file whose stamp is the
// same as when it was last read is taken to be unchanged, and is not read again. Stat only.

import { statSync } from 'node:fs';

/**
 * ino:size:mtime:ctime of a state file, '-' when absent. Every state write renames a new file into
 * place (a new inode), so slipway's own writes always change it, even within one tick of the
 * coarse file clock; ctime catches a restore that puts back size and mtime (cp -p).
 */
export function fileStamp(path: string): string {
  const s = statSync(path, { throwIfNoEntry: false });
  // Whole microseconds: printing a float is most of the cost of a stamp (10,000 per rewrite).
  return s === undefined ? '-' : `${s.ino}:${s.size}:${Math.trunc(s.mtimeMs * 1000)}:${Math.trunc(s.ctimeMs * 1000)}`;
}

/** The file has the size and mtime it had when written (the manifest's record). */
export function sameSizeAndTime(path: string, record: { size: number; mtimeMs: number }): boolean {
  const s = statSync(path, { throwIfNoEntry: false });
  return s !== undefined && s.size === record.size && s.mtimeMs === record.mtimeMs;
}

/** Which file this is, from its stat data (a rename keeps the inode and mtime of the temp file written). */
export function statStamp(s: { ino: number; size: number; mtimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}
