// deploy.source: artifact — the run's packed artifact streamed over the host's pooled SSH
// connection (the one the deploy already opened), checked and unpacked by artifactScript.
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { SshConnection } from '../ssh/connection.ts';
import type { StepLog } from '../exec/log-file.ts';
import { statePaths } from '../state/store.ts';
import type { RunRecord } from '../state/types.ts';
import type { StepOutcome } from './step.ts';
import { artifactScript } from './artifact-commands.ts';

export interface ArtifactUpload {
  conn: SshConnection;
  stateDir: string;
  run: RunRecord;
  path: string;
  release: string;
  timeoutMs: number;
  exec: (conn: SshConnection, script: string, log: StepLog, opts: { timeoutMs: number; stdin?: NodeJS.ReadableStream }) => Promise<StepOutcome>;
}

export async function uploadArtifact(u: ArtifactUpload, log: StepLog): Promise<StepOutcome> {
  const artifact = u.run.artifact;
  if (!artifact) return { ok: false, error: 'this run has no artifact (was it built before artifact: was configured?); run the commit again to build one' };
  const file = statePaths(u.stateDir).artifact(u.run.pipeline, artifact.run);
  try {
    await access(file);
  } catch {
    return { ok: false, error: `the artifact of run #${artifact.run} is gone from ${file}; run the commit again to build one` };
  }
  log.write(`artifact of run #${artifact.run}: ${artifact.files} files, ${artifact.bytes} bytes, sha256 ${artifact.sha256}\n`);
  return u.exec(u.conn, artifactScript(u.path, u.release, u.run.commit.id, artifact.sha256), log, { timeoutMs: u.timeoutMs, stdin: createReadStream(file) });
}
