// `slipway run` flags → daemon options.
import { UsageError } from '../errors.ts';
import { parseDuration } from '../config/duration.ts';
import type { Output } from '../wiring/output.ts';
import { LOG_LEVELS, parseLogLevel } from './log.ts';
import { useLeanV8 } from './lean-v8.ts';

export async function runCommand(configDir: string, flags: Record<string, unknown>, output: Output): Promise<number> {
  // `systemctl reload` may come while the config is still loading: without a listener SIGHUP
  // kills the process (its default action). Until the daemon is up it is a no-op.
  process.on('SIGHUP', ignoreHup);
  // The daemon's V8 trades speed for memory (lean-v8.ts); runs, in their own processes
  // (run-process.ts), keep V8's defaults. Set before the daemon's modules load, so that loading
  // them already runs without the optimizing compiler.
  useLeanV8();
  const { runDaemon } = await import('./daemon.ts');
  const level = parseLogLevel(flags['log-level'] as string | undefined);
  if (!level) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const grace = flags.grace as string | undefined;
  const graceMs = grace === undefined ? 30_000 : parseDuration(grace);
  if (graceMs === undefined) throw new UsageError(`--grace ${JSON.stringify(grace)} is not a duration like 30s or 2m`);
  return runDaemon(configDir, output, { logLevel: level, graceMs });
}

function ignoreHup(): void {}
