// Live terminal progress: on a TTY a status line with each running step's elapsed time, rewritten
// by the ticker, with the step's output streamed above it (control sequences but colours dropped);
// not on a TTY plain lines only, the output prefixed with its step when following.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTerminalProgress } from '../../src/commands/live-progress.ts';
import { waitFor } from '../helpers/wait.ts';

test('on a TTY: an elapsed-time ticker on the status line, output streamed above it', async () => {
  let out = '';
  let clock = 0;
  const p = createTerminalProgress({ tty: true, follow: true, write: (t) => (out += t), now: () => clock, tickMs: 5 });
  p.progress('app #1 npm test …');
  p.watch.started('app #1 npm test');
  assert.ok(out.endsWith('▸ app #1 npm test 0s'), JSON.stringify(out));
  clock = 12_000;
  await waitFor(() => out.endsWith('▸ app #1 npm test 12s'), { timeoutMs: 5000, what: 'the ticker redrawing the status line' });
  p.watch.output('app #1 npm test', 'ok 1 - adds\nok 2 \x1b[32mgreen\x1b[0m \x1b]0;title\x07\x1b[2J\npart');
  assert.ok(out.includes('\r\x1b[K  │ ok 1 - adds\n  │ ok 2 \x1b[32mgreen\x1b[0m \n▸ app #1 npm test 12s'), JSON.stringify(out));
  clock = 75_000;
  await waitFor(() => out.endsWith('▸ app #1 npm test 1m15s'), { timeoutMs: 5000, what: 'minutes on the ticker' });
  p.watch.ended('app #1 npm test');
  p.progress('app #1 npm test ok (75.0s)');
  assert.ok(out.endsWith('\r\x1b[K  │ part\n\r\x1b[Kapp #1 npm test ok (75.0s)\n') || out.endsWith('  │ part\napp #1 npm test ok (75.0s)\n'), JSON.stringify(out.slice(-80)));
  assert.doesNotMatch(out, /title|\x1b\[2J/, 'no window title or screen clearing from repo output');
  const before = out.length;
  p.stop();
  assert.equal(out.length, before, 'no status line left to clear');
});

test('not on a TTY: plain lines, no carriage returns; --follow prefixes output with its step', () => {
  const lines: string[] = [];
  const p = createTerminalProgress({ tty: false, follow: true, write: (t) => lines.push(t) });
  p.progress('app #1 npm test …');
  p.watch.started('app #1 npm test');
  p.watch.output('app #1 npm test', 'one\ntw');
  p.watch.output('app #1 npm test', 'o\n');
  p.watch.ended('app #1 npm test');
  p.progress('app #1 npm test ok (0.1s)');
  p.stop();
  assert.deepEqual(lines.join(''), 'app #1 npm test …\napp #1 npm test | one\napp #1 npm test | two\napp #1 npm test ok (0.1s)\n');
  const quiet: string[] = [];
  const q = createTerminalProgress({ tty: false, follow: false, write: (t) => quiet.push(t) });
  q.watch.started('x');
  q.watch.output('x', 'hidden\n');
  q.watch.ended('x');
  assert.deepEqual(quiet.filter((t) => t !== ''), []);
});
