// Repo-supplied text (a step's output) on a terminal: colours (SGR) are kept, every other control
// sequence and control character is dropped, so a log cannot move the cursor, retitle the window
// or hide lines. Not on a terminal the bytes pass unchanged (a file or a pipe gets the log as is).

// eslint-disable-next-line no-control-regex
const UNSAFE = /\x1b\[[0-9;]*m|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function forTerminal(text: string, tty: boolean): string {
  if (!tty) return text;
  return text.replace(UNSAFE, (m) => (/^\x1b\[[0-9;]*m$/.test(m) ? m : ''));
}
