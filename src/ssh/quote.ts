// The one place that quotes for a POSIX shell (remote `sh -c`, or a local one). Every value that
// may come from a repo (branch, message, file name) passes through here before it meets a shell.

const BARE = /^[A-Za-z0-9_./:=@%+,-]+$/;
// `NAME=value` as the first word of a command is an assignment, not an argument: always quote it.
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
// Reserved words are keywords in command position: quoted, they are plain words.
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', 'in', 'function', 'select', 'time', 'coproc']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function singleQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One word for a POSIX shell: bare when only safe characters, else single-quoted. */
export function quoteArg(s: string): string {
  if (s === '') return `''`;
  if (BARE.test(s) && !ASSIGNMENT.test(s) && !RESERVED.has(s)) return s;
  return singleQuote(s);
}

/** A command line that a POSIX shell splits back into exactly `argv`. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/**
 * `export K='v' K2='v2'; ` for prefixing a command: stock sshd drops env requests, so per-host
 * variables travel inside the command. Empty env gives ''.
 */
export function exportEnv(env: Record<string, string>): string {
  const names = Object.keys(env);
  if (names.length === 0) return '';
  const pairs = names.map((name) => {
    if (!ENV_NAME.test(name)) {
      throw new Error(`invalid environment variable name ${JSON.stringify(name)}: use letters, digits and _, not starting with a digit`);
    }
    return `${name}=${singleQuote(env[name] ?? '')}`;
  });
  return `export ${pairs.join(' ')}; `;
}
