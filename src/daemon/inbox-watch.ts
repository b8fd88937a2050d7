// Requests from trigger, approve, deploy, rollback, cancel and report while the daemon holds the
// state lock: the inbox folder is read every 250 ms (fs.watch misses events on some file systems
// and after a folder is recreated; a readdir of an empty folder costs microseconds), so a request
// is taken within a second. A request file stays until its job is done, so an approval queued
// behind a long run survives a stop of the daemon; one older than `inboxTtl` is dropped, never
// acted on days later. Each request is answered in STATE/inbox/answers/ for the command to follow.
import type { PipelineConfig } from '../config/types.ts';
import { listInboxRequests, readInboxAnswer, removeInboxRequest, sweepInboxAnswers, writeInboxAnswer, type InboxRequest } from '../state/inbox.ts';
import { readRun, statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { resolveCommit } from '../git/commit.ts';
import { cancelRecordedRun, CancelRequest, planCancel } from '../pipeline/cancel.ts';
import { errorMessage } from '../pipeline/failure.ts';
import { formatMs } from '../config/duration.ts';
import type { Reply, RunQueue } from './queue.ts';
import type { Poller } from './poller.ts';
import type { Logger } from './log.ts';
import type { Generation } from './execute.ts';
import { runKey } from './run-key.ts';
import { branchOfCommit, offBranchMessage } from '../pipeline/branch-poll.ts';

const INTERVAL_MS = 250;

export interface InboxWatchOptions {
  stateDir: string;
  log: Logger;
  generation: () => Generation;
  queue: RunQueue;
  poller: Poller;
  /** Runs in progress, to abort on `cancel`. */
  active: Map<string, AbortController>;
}

export function startInboxWatch(opts: InboxWatchOptions): { stop(): Promise<void> } {
  const { stateDir, log } = opts;
  let busy: Promise<void> | undefined;
  // Requests taken and not yet done, by file: read again at every look, acted on once.
  const taken = new Set<string>();
  void sweepInboxAnswers(stateDir, opts.generation().ctx.config.settings.inboxTtlMs).catch(() => undefined);

  const check = async (): Promise<void> => {
    for (const entry of await listInboxRequests(stateDir)) {
      if (taken.has(entry.file)) continue;
      if (entry.problem !== undefined) {
        log.warn(`inbox: request rejected (moved to ${entry.file}.rejected): ${entry.problem}`);
        continue;
      }
      taken.add(entry.file);
      const request = entry.request;
      const reply = makeReply(entry.file, request);
      const ttl = opts.generation().ctx.config.settings.inboxTtlMs;
      const age = Date.now() - Date.parse(request.createdAt);
      if (age > ttl) {
        log.warn(`inbox: ${request.kind} ${request.pipeline} by ${request.by} written ${request.createdAt} expired (older than inboxTtl ${formatMs(ttl)}); dropped`);
        await reply.refused(`the request expired: it waited longer than inboxTtl ${formatMs(ttl)}`, 1);
        continue;
      }
      // Taken by an earlier life of the daemon, which started its run and died (kill -9): that run
      // is recovery's now (interrupted, re-run once). Acting on the request again would be a
      // second run of the same commit.
      const earlier = request.id ? await readInboxAnswer(stateDir, request.id).catch(() => undefined) : undefined;
      if (earlier?.state === 'started') {
        log.info(`inbox: ${request.kind} ${request.pipeline} by ${request.by} already started run #${earlier.run ?? '?'} before a restart; left to recovery`);
        await removeInboxRequest(entry.file);
        taken.delete(entry.file);
        continue;
      }
      await handle(request, reply).catch(async (e: unknown) => {
        log.error(`inbox: ${request.kind} ${request.pipeline}: ${errorMessage(e)}`);
        await reply.refused(errorMessage(e), 1);
      });
    }
  };

  const makeReply = (file: string, request: InboxRequest): Reply => {
    const answer = async (a: Parameters<typeof writeInboxAnswer>[1]): Promise<void> => {
      if (request.id) await writeInboxAnswer(stateDir, a).catch((e: unknown) => log.warn(`inbox: cannot answer ${request.kind}: ${errorMessage(e)}`));
    };
    const finish = async (): Promise<void> => {
      await removeInboxRequest(file);
      taken.delete(file);
    };
    const id = request.id ?? '';
    return {
      started: (pipeline, run) => answer({ id, state: 'started', pipeline, run }),
      refused: async (message, exitCode = 1) => {
        await answer({ id, state: 'refused', message, exitCode });
        await finish();
      },
      done: async (result = {}) => {
        await answer({ id, state: 'done', ...result });
        await finish();
      },
    };
  };

  const handle = async (request: InboxRequest, reply: Reply): Promise<void> => {
    const gen = opts.generation();
    if (request.kind === 'report') {
      log.info(`inbox: report rewrite asked by ${request.by}`);
      await gen.ctx.report();
      return reply.done({ exitCode: 0, message: `report written: ${statePaths(stateDir).www}/index.html` });
    }
    const pipeline = gen.pipeline(request.pipeline);
    if (!pipeline) {
      log.warn(`inbox: ${request.kind} for unknown pipeline ${JSON.stringify(request.pipeline)} ignored`);
      return reply.refused(`no pipeline named ${JSON.stringify(request.pipeline)} in the daemon's config`, 2);
    }
    const by = request.by;
    switch (request.kind) {
      case 'approve':
        log.info(`inbox: approval of ${pipeline.name} #${request.run} by ${by}`);
        return opts.queue.add(pipeline.name, { kind: 'approve', run: request.run ?? 0, by, reply });
      case 'deploy':
        log.info(`inbox: deploy of ${pipeline.name} to ${request.environment} by ${by}`);
        return opts.queue.add(pipeline.name, { kind: 'deploy', environment: request.environment ?? '', by, reply, ...(request.commit ? { commit: request.commit } : {}) });
      case 'rollback':
        log.info(`inbox: rollback of ${pipeline.name} ${request.environment} by ${by}`);
        return opts.queue.add(pipeline.name, { kind: 'rollback', environment: request.environment ?? '', by, reply });
      case 'cancel':
        return cancel(pipeline, request.run ?? 0, by, reply);
      case 'trigger': {
        const { commit, branch } = await triggerCommit(gen, pipeline, request.commit);
        if (branch === undefined) return reply.refused(offBranchMessage(pipeline, commit), 1);
        log.info(`inbox: trigger of ${pipeline.name} at ${commit.slice(0, 7)}${branch === pipeline.branch ? '' : ` (${branch})`} by ${by}`);
        return opts.queue.add(pipeline.name, {
          kind: 'commit', commit, trigger: 'trigger', reply,
          ...(request.commit ? { explicit: true } : {}),
          ...(branch === pipeline.branch ? {} : { branch }),
        });
      }
    }
  };

  const cancel = async (pipeline: PipelineConfig, number: number, by: string, reply: Reply): Promise<void> => {
    const run = await readRun(stateDir, pipeline.name, number);
    const plan = planCancel(run);
    const running = opts.active.get(runKey(pipeline.name, number));
    if (running) {
      log.notice(`inbox: ${pipeline.name} #${number} cancelled by ${by}: stopping it`);
      running.abort(new CancelRequest(by));
      await reply.started(pipeline.name, number);
      // Answered done when the run has recorded its end (rollback and unlock included).
      const wait = setInterval(() => {
        if (opts.active.has(runKey(pipeline.name, number))) return;
        clearInterval(wait);
        void reply.done({ pipeline: pipeline.name, run: number });
      }, 200);
      return;
    }
    if (plan.action !== 'now') return reply.refused(plan.action === 'refuse' ? plan.message : `${pipeline.name} #${number} is not running in this daemon`, 1);
    const done = await cancelRecordedRun(stateDir, run, by, new Date());
    log.notice(`inbox: ${pipeline.name} #${number} (${run.status === 'cancelled' ? 'waiting' : run.status}) cancelled by ${by}`);
    await opts.generation().ctx.report({ pipeline: pipeline.name, run: number });
    return reply.done({ pipeline: pipeline.name, run: done.number });
  };

  const timer = setInterval(() => {
    if (busy) return;
    busy = check()
      .catch((e: unknown) => log.error(`inbox: ${errorMessage(e)}`))
      .finally(() => (busy = undefined));
  }, INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
    },
  };
}

/** The commit a trigger asks for: fetched first, so a just-pushed commit is known; default the branch head. */
export async function triggerCommit(gen: Generation, pipeline: PipelineConfig, commit: string | undefined): Promise<{ commit: string; branch: string | undefined }> {
  const gitdir = statePaths(gen.ctx.config.settings.stateDir).git(pipeline.name);
  const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
  const { head } = await fetchMirror({ remote, gitdir });
  if (!commit) return { commit: head, branch: pipeline.branch };
  const sha = await resolveCommit(gitdir, commit);
  return { commit: sha, branch: await branchOfCommit(gitdir, pipeline, sha, head) };
}
