#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, LockHeld, SlipwayError, UsageError } from './errors.ts';
import { createOutput, type Output } from './wiring/output.ts';
import { configDirFrom } from './commands/config-dir.ts';
import { terminalLine, terminalText } from './terminal-text.ts';
import { usageErrorFrom, type FlagSpec } from './commands/args-errors.ts';
import { quietOnClosedPipe } from './commands/closed-pipe.ts';
// Commands are imported when used: `slipway --help` should not load git, ssh and the schema compiler.
const VERSION = '0.1.0';

const usage = `usage: slipway <command> [options] [--config DIR]

commands:
  validate           check the config folder
  plan [--json]      what is configured and what a run would change
  once [PIPELINE...] [-f|--no-follow]   poll once, test and deploy new commits, exit
  approve PIPELINE RUN   continue a run waiting at a manual gate
  cancel PIPELINE RUN    end a waiting, queued or running run (cancelled)
  deploy PIPELINE --env ENV [--commit SHA]   deploy a tested commit to one environment
  rollback PIPELINE --env ENV   switch an environment back to its previous release
  status [--json] [--live]   last runs and which commit each host runs (--live: ask the hosts; exit 1 on drift)
  observe [PIPELINE] [--json]   read every host now: synced, out-of-sync, degraded or unknown (exit 1 unless all synced)
  logs PIPELINE [RUN] [STEP] [-f]   print a run's step logs (-f: follow them live)
  stats [PIPELINE...] [--json]   DORA numbers per environment over 7/30/90 days
  report             rewrite the HTML report
  run [--log-level LEVEL] [--grace DURATION]   the daemon: polls, queues, webhooks, notifications
  trigger PIPELINE [--commit SHA]   a run now (handed to a running daemon, else run here)
  demo               the whole loop on this machine, with embedded servers
  init [DIR]         write a commented starter config folder (default ./config)

options: --config DIR (default ./config or $SLIPWAY_CONFIG), --help, --version
slipway help COMMAND (or COMMAND --help) tells more about one command
exit codes: 0 ok, 1 a run failed or the config is invalid, 2 usage`;

interface Command {
  help: string;
  flags?: FlagSpec;
  positionals?: 'none' | 'any';
  run(args: { configDir: string; positionals: string[]; flags: Record<string, unknown>; output: Output }): Promise<number>;
}

// --follow streams each step's output; it is the default on a terminal, --no-follow turns it off.
const FOLLOW_FLAGS: FlagSpec = { follow: { type: 'boolean', short: 'f' }, 'no-follow': { type: 'boolean' } };

function followOf(flags: Record<string, unknown>): boolean | undefined {
  if (flags['no-follow'] === true) return false;
  return flags.follow === true ? true : undefined;
}

const commands: Record<string, Command> = {
  validate: {
    help: 'validate',
    run: async (a) => (await import('./commands/validate.ts')).validateCommand(a.configDir, a.output),
  },
  once: {
    help: 'once',
    positionals: 'any',
    flags: FOLLOW_FLAGS,
    run: async (a) => (await import('./commands/once.ts')).onceCommand(a.configDir, a.positionals, a.output, { follow: followOf(a.flags) }),
  },
  approve: {
    help: 'approve',
    positionals: 'any',
    run: async (a) => (await import('./commands/approve.ts')).approveCommand(a.configDir, a.positionals, a.output),
  },
  cancel: {
    help: 'cancel',
    positionals: 'any',
    run: async (a) => (await import('./commands/cancel.ts')).cancelCommand(a.configDir, a.positionals, a.output),
  },
  status: {
    help: 'status',
    flags: { json: { type: 'boolean' }, live: { type: 'boolean' } },
    run: async (a) => (await import('./commands/status.ts')).statusCommand(a.configDir, { json: a.flags.json === true, live: a.flags.live === true }, a.output),
  },
  observe: {
    help: 'observe',
    positionals: 'any',
    flags: { json: { type: 'boolean' } },
    run: async (a) => (await import('./commands/observe.ts')).observeCommand(a.configDir, { pipeline: one(a.positionals), json: a.flags.json === true }, a.output),
  },
  plan: {
    help: 'plan',
    flags: { json: { type: 'boolean' } },
    run: async (a) => (await import('./commands/status.ts')).planCommand(a.configDir, a.flags.json === true, a.output),
  },
  report: {
    help: 'report',
    run: async (a) => (await import('./commands/report.ts')).reportCommand(a.configDir, a.output),
  },
  deploy: {
    help: 'deploy',
    positionals: 'any',
    flags: { env: { type: 'string' }, commit: { type: 'string' }, ...FOLLOW_FLAGS },
    run: async (a) =>
      (await import('./commands/deploy.ts')).deployCommand(a.configDir, { pipeline: one(a.positionals), env: a.flags.env as string | undefined, commit: a.flags.commit as string | undefined, follow: followOf(a.flags) }, a.output),
  },
  rollback: {
    help: 'rollback',
    positionals: 'any',
    flags: { env: { type: 'string' }, ...FOLLOW_FLAGS },
    run: async (a) => (await import('./commands/deploy.ts')).rollbackCommand(a.configDir, { pipeline: one(a.positionals), env: a.flags.env as string | undefined, follow: followOf(a.flags) }, a.output),
  },
  run: {
    help: 'run',
    flags: { 'log-level': { type: 'string' }, grace: { type: 'string' } },
    run: async (a) => (await import('./daemon/run-command.ts')).runCommand(a.configDir, a.flags, a.output),
  },
  trigger: {
    help: 'trigger',
    positionals: 'any',
    flags: { commit: { type: 'string' }, ...FOLLOW_FLAGS },
    run: async (a) => (await import('./commands/trigger.ts')).triggerCommand(a.configDir, { pipeline: one(a.positionals), commit: a.flags.commit as string | undefined, follow: followOf(a.flags) }, a.output),
  },
  init: {
    help: 'init',
    positionals: 'any',
    run: async (a) => {
      if (a.positionals.length > 1) throw new UsageError('init takes at most one folder');
      return (await import('./commands/init.ts')).initCommand({ dir: a.positionals[0] ?? a.configDir }, a.output);
    },
  },
  stats: {
    help: 'stats',
    positionals: 'any',
    flags: { json: { type: 'boolean' } },
    run: async (a) => (await import('./commands/stats.ts')).statsCommand(a.configDir, { names: a.positionals, json: a.flags.json === true }, a.output),
  },
  logs: {
    help: 'logs',
    positionals: 'any',
    flags: { follow: { type: 'boolean', short: 'f' } },
    run: async (a) => (await import('./commands/logs.ts')).logsCommand(a.configDir, { positionals: a.positionals, follow: a.flags.follow === true }, a.output),
  },
  demo: {
    help: 'demo',
    flags: { keep: { type: 'boolean' } },
    run: async (a) => (await import('./commands/demo.ts')).demoCommand({ keep: a.flags.keep === true }, a.output),
  },
};

/** Exactly one positional (a pipeline name), or none. */
function one(positionals: string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`expected one PIPELINE, got ${positionals.length}`);
  return positionals[0];
}

export async function main(argv: string[], output: Output = createOutput()): Promise<number> {
  quietOnClosedPipe();
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined) {
    if (!commands[rest[0]]) {
      output.err(`slipway help: unknown command "${rest[0]}"\n\n${usage}`);
      return 2;
    }
    output.out((await import('./commands/help.ts')).helpFor(commands[rest[0]]!.help));
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    output.out(usage);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    output.out(VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    output.err(`slipway: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  const options: FlagSpec = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...(command.flags ?? {}) };
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: command.positionals === 'any', strict: true });
    } catch (e) {
      throw usageErrorFrom(e, name, options) ?? e;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      output.out((await import('./commands/help.ts')).helpFor(command.help));
      return 0;
    }
    return await command.run({ configDir: configDirFrom(values.config as string | undefined), positionals, flags: values, output });
  } catch (e) {
    return reportError(e, name, output);
  }
}

/** The one catch: typed errors become plain messages and exit codes; anything else is a bug. */
function reportError(e: unknown, command: string, output: Output): number {
  if (e instanceof ConfigError) {
    // Messages quote config values and repo or host text: no control character reaches the terminal.
    for (const issue of e.message.split('\n')) output.err(terminalLine(issue));
    return 1;
  }
  if (e instanceof UsageError) {
    output.err(`slipway ${command}: ${e.message}\n(see slipway ${command} --help)`);
    return 2;
  }
  if (e instanceof LockHeld || e instanceof SlipwayError) {
    output.err(`slipway ${command}: ${terminalText(e.message)}`);
    return 1;
  }
  // Not one of ours: a bug. The stack helps us, not the user, so it is shown only on request.
  const detail = e instanceof Error ? (process.env.SLIPWAY_DEBUG ? (e.stack ?? e.message) : e.message) : String(e);
  output.err(`slipway ${command}: internal error: ${detail}`);
  output.err('This is a bug in slipway; please report it (SLIPWAY_DEBUG=1 shows where it happened).');
  return 1;
}

if (process.argv[1]?.endsWith('/src/cli.ts') || process.argv[1]?.endsWith('/dist/cli.js')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`slipway: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
