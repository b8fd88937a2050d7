// The --help text of each command. Kept apart from the commands so that --help loads nothing else.

const HELP: Record<string, string> = {
  validate: `usage: slipway validate [--config DIR]

Checks the whole config folder: every file, every key, every cross-reference.
Prints "config OK: …" to stdout, or every problem at once to stderr as
FILE:LINE:COL: message, and exits 1.`,
  once: `usage: slipway once [PIPELINE...] [--config DIR]

Polls each pipeline (or the ones named) once, runs every new commit through its
tests and deploys, waits, and exits: 0 when all went well or nothing was new,
1 when a run failed. A run that reaches a manual gate is left waiting
(continue it with slipway approve).`,
  approve: `usage: slipway approve PIPELINE RUN [--config DIR]

Opens the manual gate a run is waiting at: the run goes on and deploys to that
environment (and the ones after it, up to the next manual gate).`,
  status: `usage: slipway status [--json] [--config DIR]

Pipelines, their last runs, and which commit each host of each environment runs
(as recorded in the state folder).`,
  plan: `usage: slipway plan [--json] [--config DIR]

What is configured: each pipeline's repo, branch, schedule, environments and
hosts, what each environment runs now, and what a run would change (the branch
head is read from the remote; nothing is fetched, run or written).`,
  report: `usage: slipway report [--config DIR]

Rewrites the whole HTML report (STATE/www/) from the state folder.`,
  demo: `usage: slipway demo [--keep]

The whole loop on this machine: an embedded git server and embedded SSH hosts on
127.0.0.1, a sample app, test, deploy to staging and production, a broken commit
rolled back, and the report.`,
  run: `usage: slipway run [--config DIR]

The daemon: polls every pipeline at start, then on its own cron schedule (poll:),
and runs each new commit through test and deploy; at most \`concurrency\` pipelines
work at once. SIGTERM or SIGINT: stop polling, let running work finish, exit 0.`,
};

export function helpFor(command: string): string {
  return HELP[command] ?? `no help for ${command}`;
}
