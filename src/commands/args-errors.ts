// Node's parseArgs says "Unknown option '--verbose'. To specify a positional argument starting
// with a '-', place it at the end of the command after '--', as in '-- "--verbose"" (quote
// unbalanced): a message about its own API, not about slipway. Its errors become ours here.

import { UsageError } from '../errors.ts';

export type FlagSpec = Record<string, { type: 'boolean' | 'string'; short?: string }>;

const METAVAR: Record<string, string> = { config: 'DIR', env: 'ENV', commit: 'SHA', grace: 'DURATION', 'log-level': 'LEVEL', days: 'N' };

function optionList(flags: FlagSpec): string {
  const names = Object.entries(flags).map(([name, f]) => `--${name}${f.type === 'string' ? ` ${METAVAR[name] ?? 'VALUE'}` : ''}`);
  return names.join(', ');
}

/** Our message for an error thrown by parseArgs, or undefined when it is not one of its errors. */
export function usageErrorFrom(e: unknown, command: string, flags: FlagSpec): UsageError | undefined {
  if (!(e instanceof TypeError) || !('code' in e) || !String(e.code).startsWith('ERR_PARSE_ARGS')) return undefined;
  const code = String(e.code);
  const quoted = /'(-[^' ]*)/.exec(e.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new UsageError(`unknown option ${quoted ?? e.message}; ${command} takes ${optionList(flags)}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([A-Za-z-]+)/.exec(e.message)?.[1];
    const spec = name ? flags[name] : undefined;
    if (spec?.type === 'boolean') return new UsageError(`--${name} takes no value`);
    return new UsageError(name ? `--${name} needs a value (--${name} ${METAVAR[name] ?? 'VALUE'})` : e.message);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(e.message)?.[1];
    return new UsageError(`${command} takes no arguments${arg !== undefined ? `, got "${arg}"` : ''}`);
  }
  return new UsageError(e.message);
}
