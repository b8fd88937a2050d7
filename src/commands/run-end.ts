// The last lines a command prints for a run it ran: its outcome, and for a failure the step that
// failed, the tail of its output and where its whole log is; then where the run page is (the
// public URL with report.url, else the file on disk). The same tail goes to notifications and the
// run page (src/state/failure-tail.ts).

import { join } from 'node:path';
import type { Config } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readFailureTail } from '../state/failure-tail.ts';
import { displayPath } from '../state/paths.ts';
import { runPageLocation } from '../report/links.ts';
import type { Output } from '../wiring/output.ts';
import { terminalLine } from '../terminal-text.ts';

export async function printRunEnd(output: Output, config: Config, run: RunRecord, opts: { outcome?: string } = {}): Promise<void> {
  const stateDir = config.settings.stateDir;
  const word = opts.outcome ?? output.status(run.status);
  output.out(`${run.pipeline} #${run.number}: ${word}${run.error ? ` (${terminalLine(run.error)})` : ''}`);
  if (run.status === 'failed' || run.status === 'interrupted') {
    const tail = await readFailureTail(stateDir, run);
    if (tail) {
      output.err(`${run.pipeline} #${run.number}: ${terminalLine(tail.step.name)} failed${tail.step.error ? `: ${terminalLine(tail.step.error)}` : ''}`);
      if (tail.lines.length > 0) {
        output.err(`  last ${tail.lines.length === 1 ? 'line' : `${tail.lines.length} lines`} of its output:`);
        for (const line of tail.lines) output.err(`  | ${line}`);
      }
      output.err(`  whole log: ${displayPath(join(stateDir, tail.logPath))}`);
    }
  }
  const page = runPageLocation(config.settings, run.pipeline, run.number);
  output.out(`  run page: ${config.settings.report.url !== undefined ? page : displayPath(page)}`);
}
