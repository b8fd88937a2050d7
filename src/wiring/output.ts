// Terminal output: colour only on a terminal and never with NO_COLOR (https://no-color.org).

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Status words in colour where allowed. */
  status(word: string): string;
}

const COLORS: Record<string, number> = {
  passed: 32, deployed: 32, ok: 32, OK: 32,
  failed: 31, FAILED: 31, interrupted: 31,
  waiting: 33, running: 36, queued: 36, superseded: 90,
};

export function createOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const color = process.stdout.isTTY === true && env.NO_COLOR === undefined;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    status: (word) => (color && COLORS[word] ? `\x1b[${COLORS[word]}m${word}\x1b[0m` : word),
  };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : '-';
}

export function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
