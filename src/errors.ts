// Typed errors. Code throws these; only src/cli.ts (and later the daemon loop) catches them and
// turns them into a message and an exit code. A user never sees a stack trace for one of these.

export class SlipwayError extends Error {
  override name = 'SlipwayError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A located problem in a config file: FILE:LINE:COL, 1-based. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Every problem of a config at once; the message is one located line per issue. */
export class ConfigError extends SlipwayError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** The config folder itself is missing (or is a file): nothing to locate a problem in. */
export class MissingConfigFolder extends SlipwayError {
  override name = 'MissingConfigFolder';
}

export class UsageError extends SlipwayError {
  override name = 'UsageError';
}

export class GitError extends SlipwayError {
  override name = 'GitError';
}

export type SshPhase = 'connect' | 'handshake' | 'host key' | 'auth' | 'command';

export class SshError extends SlipwayError {
  override name = 'SshError';
  readonly host: string;
  readonly phase: SshPhase;
  constructor(host: string, phase: SshPhase, message: string, options?: { cause?: unknown }) {
    super(`${host}: ${phase}: ${message}`, options);
    this.host = host;
    this.phase = phase;
  }
}

/** A step (test command, remote step, restart, health check) that ran and failed. */
export class StepFailed extends SlipwayError {
  override name = 'StepFailed';
}

export class StateError extends SlipwayError {
  override name = 'StateError';
}

/** Another slipway process holds the state folder. */
export class LockHeld extends SlipwayError {
  override name = 'LockHeld';
}
