// The daemon's log: one line per event. Under systemd stdout is a pipe to journald, which reads a
// leading `<N>` as the syslog priority (sd-daemon(3)), so `journalctl -p warning` works; on a
// terminal the level is spelled out instead. Secrets are masked before a line is written.
import { terminalLine } from '../terminal-text.ts';
import { maskSecrets } from '../exec/mask.ts';

export const LOG_LEVELS = ['error', 'warn', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

export interface Logger {
  error(line: string): void;
  warn(line: string): void;
  notice(line: string): void;
  info(line: string): void;
  debug(line: string): void;
  /** Values to mask from now on (the secrets of a newly loaded config). */
  setSecrets(secrets: readonly string[]): void;
}

export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (value === undefined) return 'info';
  return (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

export function createLogger(opts: { level: LogLevel; journald: boolean; write: (text: string) => void }): Logger {
  let secrets: readonly string[] = [];
  const max = PRIORITY[opts.level];
  const emit = (level: LogLevel) => (line: string): void => {
    if (PRIORITY[level] > max) return;
    // One event, one line: a multi-line message (a config error list) becomes one line per part,
    // each with the priority, so journald never shows an unprefixed continuation line.
    const prefix = opts.journald ? `<${PRIORITY[level]}>` : level === 'info' ? '' : `${level}: `;
    const text = maskSecrets(line, secrets);
    // Lines carry repo data (commit subjects): no control character reaches a terminal or the journal.
    opts.write(text.split('\n').map((l) => `${prefix}${terminalLine(l)}\n`).join(''));
  };
  return {
    error: emit('error'),
    warn: emit('warn'),
    notice: emit('notice'),
    info: emit('info'),
    debug: emit('debug'),
    setSecrets: (s) => {
      secrets = [...s];
    },
  };
}
