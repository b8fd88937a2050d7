// The --help text of each command. Kept apart from the commands so that --help loads nothing else.

const HELP: Record<string, string> = {
  validate: `usage: slipway validate [--config DIR]

Checks the whole config folder: every file, every key, every cross-reference.
Prints "config OK: …" and the test sandbox in force ("sandbox: bwrap …") to
stdout, or every problem at once to stderr as FILE:LINE:COL: message, and exits
1. Test commands that would run unisolated (sandbox: none, or auto without
/usr/bin/bwrap) are a warning on stderr.`,
  once: `usage: slipway once [PIPELINE...] [--config DIR]

Polls each pipeline (or the ones named) once, runs every new commit through its
tests (and build) and deploys, waits, and exits: 0 when all went well or nothing
was new, 1 when a run failed. New heads of the other branches that branches:
names are tested and built, never deployed. A test-only pipeline's runs end
passed or failed. A run that reaches a manual gate is left waiting (continue it with
slipway approve).`,
  approve: `usage: slipway approve PIPELINE RUN [--config DIR]

Opens the manual gate a run is waiting at: the run goes on and deploys to that
environment (and the ones after it, up to the next manual gate).`,
  status: `usage: slipway status [--json] [--live] [--config DIR]

Pipelines, their last runs, and which commit each host of each environment runs.
Without --live, as recorded in the state folder; with --live, as each host says
right now (one SSH command per host: current release, its commit, a deploy lock
and its holder), marked where it differs from what the environment should run.`,
  plan: `usage: slipway plan [--json] [--config DIR]

What is configured: each pipeline's repo, branch, schedule, environments and
hosts, what each environment runs now, and what a run would change (the branch
head is read from the remote; nothing is fetched, run or written). With
deploy.source: artifact, the artifact slipway deploy would ship (its run,
sha256, files and bytes); test-only pipelines and tested branches are named.`,
  report: `usage: slipway report [--config DIR]

Rewrites the whole HTML report (STATE/www/) from the state folder.`,
  demo: `usage: slipway demo [--keep]

The whole loop on this machine: an embedded git server and embedded SSH hosts on
127.0.0.1, a sample app, test, deploy to staging and production, a broken commit
rolled back, and the report.`,
  init: `usage: slipway init [DIR]

Writes a commented starter config folder into DIR (default: --config DIR,
$SLIPWAY_CONFIG or ./config): slipway.yaml, hosts.yaml, pipelines/example.yaml
and a .gitignore for the state folder. Each file starts with a
# yaml-language-server: $schema=… line so editors complete and check keys.
Never overwrites: when any of these files exists, nothing is written (exit 1).
Prints the next three steps.`,
  deploy: `usage: slipway deploy PIPELINE --env ENV [--commit SHA] [--config DIR]

Deploys a commit that passed its tests (default: the newest of the deploy
branch) to one environment, with the same release, switch, health gate and
rollback as a run. With deploy.source: artifact it ships the artifact of the run
that built that commit, never a rebuild. An environment
after the first only gets a commit the one before it took healthy. The command
itself is the approval of a manual gate.`,
  rollback: `usage: slipway rollback PIPELINE --env ENV [--config DIR]

Switches every host of the environment back to the release before its current
one, restarts it and waits for the health check. If a host does not come back
healthy, the hosts already switched go forward again.`,
  run: `usage: slipway run [--log-level LEVEL] [--grace DURATION] [--config DIR]

The daemon, meant to run under systemd (scripts/slipway.service). Polls every
pipeline at start, then on its cron (poll:); a poll that fails is logged once
per change of error and retried with backoff. New commits go through a queue:
one run at a time per pipeline, at most \`concurrency\` at once; commits that
pile up while a pipeline is busy coalesce to the newest (older: superseded).
On start, runs left running by a crash become interrupted and their commit is
queued again. Takes requests of slipway trigger/approve from STATE/inbox/.
With server.listen: the report, POST /hooks/PIPELINE (GitHub, Gitea or GitLab
signature for server.webhookSecret) and GET /healthz. notify: webhooks on
failure, recovery, deployed, waiting. retention: prunes old runs.

  --log-level LEVEL   error, warn, notice, info (default) or debug
  --grace DURATION    after SIGTERM, how long running steps may finish (30s)

Logs one line per event to stdout, prefixed <3>..<7> (journald priority) when
stdout is not a terminal. SIGTERM/SIGINT: stop polling, let running steps
finish within the grace period, then kill them (runs end interrupted, host
locks released), exit 0. SIGHUP: reload the config (and configRepo); a config
that fails validation is logged with its errors and the running one stays.`,
  trigger: `usage: slipway trigger PIPELINE [--commit SHA] [--config DIR]

A run now, of the branch head (or the given commit, full or abbreviated), even
if that commit ran before. When slipway run holds the state folder the request
goes to it through STATE/inbox/ and is taken within a second; otherwise the run
happens in this process, as with once (exit 1 when it fails).`,
};

export function helpFor(command: string): string {
  return HELP[command] ?? `no help for ${command}`;
}
