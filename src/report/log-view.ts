// One step's log on its run page: colours rendered (ansi.ts), secrets masked, and a long log
// collapsed so the page opens on its tail, where a failure explains itself.

import type { StepLogText } from '../state/step-log.ts';
import type { StepRecord } from '../state/types.ts';
import { ansiToHtmlLines } from './ansi.ts';
import { maskSecrets } from './format.ts';
import type { RenderContext } from './fragments.ts';

/** Lines always shown; the rest sits in a closed <details> above them. */
export const TAIL_LINES = 40;
/** A log at most this much longer than the tail is shown whole: hiding 3 lines helps nobody. */
const SLACK_LINES = 10;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function renderStepLog(step: StepRecord, log: StepLogText | undefined, ctx: RenderContext, where: string): string {
  if (log === undefined) return '';
  const id = `log-${ctx.text(step.id)}`;
  if (log.size === 0) return `<p class="muted">The log is empty.</p>`;
  const lines = ansiToHtmlLines(maskSecrets(log.text, ctx.secrets), ctx.text);
  const shown = Buffer.byteLength(log.text);
  // Open where people look first: a failure, or a step still going.
  const open = step.status === 'failed' || step.status === 'running' ? ' open' : '';
  const cut = log.truncated
    ? `<p class="muted">The first ${formatBytes(log.size - shown)} are not shown; the whole log is <span class="mono">${ctx.text(where)}</span> in the state folder.</p>\n`
    : '';
  let body: string;
  if (lines.length > TAIL_LINES + SLACK_LINES) {
    const head = lines.slice(0, lines.length - TAIL_LINES);
    const tail = lines.slice(lines.length - TAIL_LINES);
    body = `<details class="log-head" id="${id}-head"><summary>Show ${head.length} earlier lines</summary><pre>${head.join('\n')}</pre></details>
<pre>${tail.join('\n')}</pre>`;
  } else {
    body = `<pre>${lines.join('\n')}</pre>`;
  }
  return `<details class="log" id="${id}"${open}><summary>Log (${lines.length} lines, ${formatBytes(log.size)})</summary>
${cut}${body}</details>`;
}
