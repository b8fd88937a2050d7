// Naming a failure once: its message for people, and whose fault it was (the run's `cause`).
import { statfs } from 'node:fs/promises';
import type { FailureCause } from '../state/types.ts';

/** The sentence for an error; a full disk says so in words, with the file it failed on. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC') return `no space left on the device of ${err.path ?? 'the state folder'} (${err.syscall ?? 'write'} failed); free some space, slipway carries on by itself`;
  return err.message;
}

/**
 * A thrown error inside a run is never the commit's fault: a lost connection, a state file or
 * log that cannot be written, a process that could not start. Failures of the commit's own
 * commands come back as outcomes, not exceptions.
 */
export function failureCauseOf(_e: unknown): FailureCause {
  return 'infrastructure';
}

/** Below this much free space on the state folder's disk, a failing step is blamed on the disk. */
const LOW_SPACE_BYTES = 1024 * 1024;

/**
 * A test that fails because the workspace disk filled up must not quarantine its commit: when a
 * step failed and the state folder's disk is (nearly) full, the cause is the machine.
 */
export async function diskFullAt(dir: string): Promise<string | undefined> {
  try {
    const s = await statfs(dir);
    if (s.bavail * s.bsize < LOW_SPACE_BYTES || (s.files > 0 && s.ffree === 0)) {
      return `no space left on the device of ${dir} (${Math.round((s.bavail * s.bsize) / 1024)} KiB free)`;
    }
  } catch {
    // statfs unsupported: judge by the failure alone
  }
  return undefined;
}
