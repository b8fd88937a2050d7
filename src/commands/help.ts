// The --help text of each command. Kept apart from the commands so that --help loads nothing else.

// What once, deploy, rollback and trigger print while they run, and at the end.
const PROGRESS = `
On a terminal each running step shows with its elapsed time, and its output
streams as it is printed (--follow, the default there; --no-follow turns it
off). Not on a terminal: one plain line per step start and end, and with
--follow the output lines prefixed with their step. A failed run ends with the
step that failed, its last lines (secrets masked) and the path of its whole
log; every run ends with its run page (report.url + path, or the file).`;

const HELP: Record<string, string> = {
  validate: `usage: slipway validate [--config DIR]

Checks the whole config folder: every file, every key, every cross-reference.
Prints "config OK: …" and the test sandbox in force ("sandbox: bwrap …") to
stdout, or every problem at once to stderr as FILE:LINE:COL: message, and exits
1. Test commands that would run unisolated (sandbox: none, or auto without
/usr/bin/bwrap) are a warning on stderr.`,
  once: `usage: slipway once [PIPELINE...] [-f|--follow] [--no-follow] [--config DIR]

Polls each pipeline (or the ones named) once, runs every new commit through its
tests (and build) and deploys, waits, and exits: 0 when all went well or nothing
was new, 1 when a run failed. New heads of the other branches that branches:
names are tested and built, never deployed. A test-only pipeline's runs end
passed or failed. A run that reaches a manual gate is left waiting (continue it with
slipway approve).
${PROGRESS}`,
  approve: `usage: slipway approve PIPELINE RUN [--config DIR]

Opens the manual gate a run is waiting at: the run goes on and deploys to that
environment (and the ones after it, up to the next manual gate). Refused when
the environment already runs a newer run's commit (that would go backwards).
With slipway run up, handed to it; its progress and result print here.`,
  cancel: `usage: slipway cancel PIPELINE RUN [--config DIR]

Ends a waiting, queued or running run as cancelled (a final status). A running
run stops before its next step: local commands are killed, hosts already
switched are rolled back and host locks released. With slipway run up, the
request goes to it through STATE/inbox/. Exit 1 when the run had already ended.`,
  status: `usage: slipway status [--json] [--live] [--config DIR]

Pipelines, their last runs, and which commit each host of each environment runs.
Without --live, as recorded in the state folder; with --live, as each host says
right now (one SSH command per host: current release, its commit, a deploy lock
and its holder), marked where it differs from what the environment should run.
Each observed host also shows its last observation (slipway observe, or the
daemon's observer): its sync, since when and why, and when self-heal stopped;
--json gives them as sync, reasons, since, observedAt (and selfHeal).
Times are shown in UTC with their age ("2025-01-01 12:00 UTC (3 hours ago)");
--json gives the exact ISO instants.

Exit code: 0; with --live, 1 when any host runs another commit than its
environment should or cannot be reached (for monitoring: a cron job or a
Nagios-style check), 0 when every host agrees.`,
  observe: `usage: slipway observe [PIPELINE] [--json] [--config DIR]

One observation now of every host of every environment with observe on (or of
PIPELINE's): one SSH command per host and deploy path reads what current points
at and its REVISION, whether that release is complete, the deploy lock, the
health check's answer now, and observe.files / observe.service when configured.
Each host is printed with its sync, since when, and why:
  synced       runs the environment's desired commit, healthy
  out-of-sync  another commit, current missing or dangling, or a tracked file changed
  degraded     the desired commit, but the health check fails or the unit is not active
  unknown      the host could not be read
An environment never deployed has nothing desired: it is named, never drift.
While slipway run holds the state folder, observe only reads (the daemon
records its own observations); otherwise it records the result in
STATE/hosts/HOST.json like the daemon. It never heals. See docs/observe.md.

Exit code: 0 when every observed host is synced, 1 when any is out-of-sync,
degraded or unknown (or the config is invalid).`,
  plan: `usage: slipway plan [--json] [--config DIR]

What is configured: each pipeline's repo, branch, schedule, environments and
hosts, what each environment runs now, and what a run would change (the branch
head is read from the remote; nothing is fetched, run or written). With
deploy.source: artifact, the artifact slipway deploy would ship (its run,
sha256, files and bytes); test-only pipelines and tested branches are named.`,
  logs: `usage: slipway logs PIPELINE [RUN] [STEP] [-f|--follow] [--config DIR]

Prints the step logs of a run (default: the pipeline's newest run) from the
state folder, secrets already masked: every step in order under a
"==> STEP: name <==" header, or only STEP (a step id such as test-1, or its
name). With -f it keeps printing new output as the steps write it, steps that
start later included, and exits when the run has ended or stops at a manual
gate: 1 when the run failed, else 0. It only reads the state folder, so it
works beside a running slipway run. On a terminal, control sequences other
than colours are dropped.`,
  stats: `usage: slipway stats [PIPELINE...] [--json] [--config DIR]

DORA numbers of each environment over the last 7, 30 and 90 days, from the
state folder alone:
  deploys          deploys that passed, and per day (deployment frequency)
  lead time        commit time to the deploy finished healthy (median)
  change failures  deploys that failed, or were undone by slipway rollback (or
                   a heal) before the next good deploy, over all deploys tried
  time to restore  from such a failure to the next good deploy or rollback
                   of that environment (median)
--json prints them as data (also in the report's status.json, under "dora").`,
  report: `usage: slipway report [--config DIR]

Rewrites the whole HTML report (STATE/www/) from the state folder: every page is
made from the state, and only files whose content changed are written. With
slipway run up, the daemon rewrites it.`,
  demo: `usage: slipway demo [--keep]

The whole loop on this machine: an embedded git server and embedded SSH hosts on
127.0.0.1, a sample app, test, deploy to staging and production, a broken commit
rolled back, and the report.`,
  init: `usage: slipway init [DIR]

Writes a commented starter config folder into DIR (default: --config DIR,
$SLIPWAY_CONFIG or ./config): slipway.yaml, hosts.yaml, pipelines/example.yaml
and a .gitignore for the state folder. Each file starts with a
# yaml-language-server: $schema=… line so editors complete and check keys: a
relative path to node_modules/slipway/schema/ when slipway is installed in the
project, else to a copy of the schemas written into DIR/schema/ (a global or
npx install), so the line works in every clone of the config repo.
Never overwrites: when any of these files exists, nothing is written (exit 1).
Prints the next three steps.`,
  deploy: `usage: slipway deploy PIPELINE --env ENV [--commit SHA] [-f|--no-follow] [--config DIR]

Deploys a commit that passed its tests (default: the newest of the deploy
branch) to one environment, with the same release, switch, health gate and
rollback as a run. With deploy.source: artifact it ships the artifact of the run
that built that commit, never a rebuild. An environment
after the first only gets a commit the one before it took healthy. The command
itself is the approval of a manual gate. With slipway run up, the deploy is
handed to it (STATE/inbox/) and its progress and result print here, with the
exit code of the outcome. Ctrl-C of an in-process deploy rolls back and
releases the host locks; the run ends interrupted (exit 130).
${PROGRESS}`,
  rollback: `usage: slipway rollback PIPELINE --env ENV [-f|--no-follow] [--config DIR]

Switches every host of the environment back to the release before its current
one, restarts it and waits for the health check. If a host does not come back
healthy, the hosts already switched go forward again. With slipway run up, the
rollback is handed to it and its progress and result print here.
${PROGRESS}`,
  run: `usage: slipway run [--log-level LEVEL] [--grace DURATION] [--config DIR]

The daemon, meant to run under systemd (scripts/slipway.service). Polls every
pipeline at start, then on its cron (poll:); a poll that fails is logged once
per change of error and retried with backoff. New commits go through a queue:
one run at a time per pipeline, at most \`concurrency\` at once; commits that
pile up while a pipeline is busy coalesce to the newest (older: superseded).
On start, runs left running by a crash become interrupted and their commit is
run once more; host deploy locks of runs this state folder knows ended are
released at once. One run per commit and branch, whoever asks (poll, webhook,
trigger, recovery); a run that failed with cause infrastructure (host down,
lock wait, full disk) is retried by the next poll, with backoff. Takes
requests of trigger, approve, deploy, rollback, cancel and report from
STATE/inbox/; each stays there until done or older than inboxTtl (1h).
With server.listen: the report (a running run's page follows its logs live),
POST /hooks/PIPELINE (GitHub, Gitea or GitLab signature for
server.webhookSecret; docs/webhooks.md), GET /healthz and GET /metrics
(Prometheus text format). notify: webhooks on
failure, recovery, deployed, waiting. retention: prunes old runs.
Each run, and each report update, is carried out in a process of its own, so
the daemon stays small between runs; a run whose process dies (kill -9, out
of memory) ends failed with how it died, its host locks released.

  --log-level LEVEL   error, warn, notice, info (default) or debug
  --grace DURATION    after SIGTERM, how long running steps may finish (30s)

Logs one line per event to stdout, prefixed <3>..<7> (journald priority) when
stdout is not a terminal. SIGTERM/SIGINT: stop polling, let running steps
finish within the grace period, then kill them (runs end interrupted, host
locks released), exit 0. SIGHUP: reload the config (and configRepo); a config
that fails validation is logged with its errors and the running one stays.`,
  trigger: `usage: slipway trigger PIPELINE [--commit SHA] [-f|--no-follow] [--config DIR]

A run now, of the branch head, unless that commit already has a run (then it
says which); with --commit SHA (full or abbreviated), that commit even if it
ran before. When slipway run holds the state folder the request goes to it
through STATE/inbox/, is taken within a second, and its progress and result
print here; otherwise the run happens in this process, as with once. Exit 1
when the run fails.
${PROGRESS}`,
};

export function helpFor(command: string): string {
  return HELP[command] ?? `no help for ${command}`;
}
