import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { maskForState } from './secret-mask.ts';
import { statePaths } from './paths.ts';

// STATE/audit.jsonl: one JSON line per deploy, rollback, heal, approval and cancel, appended and never
// rewritten. An O_APPEND write of one short line lands whole, so concurrent writers cannot
// interleave inside a line.

export interface AuditEntry {
  version: 1;
  time: string;
  action: 'deploy' | 'rollback' | 'heal' | 'approve' | 'cancel';
  pipeline: string;
  environment: string;
  run: number;
  commit: string;
  release?: string;
  hosts: string[];
  by: string;
  result: 'ok' | 'failed' | 'rolled-back';
  error?: string;
}

export function auditFile(stateDir: string): string {
  return statePaths(stateDir).audit;
}

export async function appendAudit(stateDir: string, entry: AuditEntry): Promise<void> {
  const file = auditFile(stateDir);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, JSON.stringify(maskForState(file, entry)) + '\n', { flag: 'a', mode: 0o600 });
}
