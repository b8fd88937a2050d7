// Repo-supplied text (a commit subject, an author, a host's answer) printed on a terminal must
// not drive it: an ESC sequence in a commit subject can rewrite the screen, hide a line, set the
// window title, or (on some terminals) inject input; a carriage return can print over a line;
// bidi overrides can make text read differently than it is. Each such character becomes "?".
// Pages escape HTML instead (src/report/format.ts); JSON output escapes them by itself.

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi embeddings/overrides/isolates.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to print on a terminal: newlines and tabs stay, every other control character is "?". */
export function terminalText(text: string): string {
  return text.replace(CONTROL, '?');
}

/** A short value a host printed (a lock holder, a link, a unit state): every C0 control and DEL is "?". */
export function hostValue(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** One line of it: newlines become "?" too (a subject must not start a fake line of output). */
export function terminalLine(text: string): string {
  return terminalText(text).replace(/\n/g, '?');
}

// A step's output streamed to a terminal (live progress, `slipway logs`): colours (SGR) are kept,
// every other control sequence and control character is dropped, so a log cannot move the cursor,
// retitle the window or hide lines. Not on a terminal the bytes pass unchanged (a file or a pipe gets the log as is).
const UNSAFE = /\x1b\[[0-9;]*m|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function forTerminal(text: string, tty: boolean): string {
  if (!tty) return text;
  return text.replace(UNSAFE, (m) => (/^\x1b\[[0-9;]*m$/.test(m) ? m : ''));
}
