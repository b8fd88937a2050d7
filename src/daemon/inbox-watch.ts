// Requests from `slipway trigger` and `slipway approve` while the daemon holds the state lock:
// the inbox folder is read every 250 ms (fs.watch misses events on some file systems and after
// a folder is recreated; a readdir of an empty folder costs microseconds), so a request is taken
// within a second.
import type { PipelineConfig } from '../config/types.ts';
import { takeInboxRequests, type InboxRequest } from '../state/inbox.ts';
import { statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { resolveCommit } from '../git/commit.ts';
import type { RunQueue } from './queue.ts';
import type { Poller } from './poller.ts';
import type { Logger } from './log.ts';
import type { Generation } from './execute.ts';

const INTERVAL_MS = 250;

export function startInboxWatch(opts: { stateDir: string; log: Logger; generation: () => Generation; queue: RunQueue; poller: Poller }): { stop(): Promise<void> } {
  let busy: Promise<void> | undefined;
  const check = async (): Promise<void> => {
    for (const entry of await takeInboxRequests(opts.stateDir)) {
      if (entry.problem !== undefined) {
        opts.log.warn(`inbox: request rejected (moved to ${entry.file}.rejected): ${entry.problem}`);
        continue;
      }
      await handle(entry.request).catch((e: unknown) =>
        opts.log.error(`inbox: ${entry.request.kind} ${entry.request.pipeline}: ${e instanceof Error ? e.message : String(e)}`));
    }
  };
  const handle = async (request: InboxRequest): Promise<void> => {
    const gen = opts.generation();
    const pipeline = gen.pipeline(request.pipeline);
    if (!pipeline) return opts.log.warn(`inbox: ${request.kind} for unknown pipeline ${JSON.stringify(request.pipeline)} ignored`);
    if (request.kind === 'approve') {
      opts.log.info(`inbox: approval of ${pipeline.name} #${request.run} by ${request.by}`);
      return opts.queue.add(pipeline.name, { kind: 'approve', run: request.run ?? 0, by: request.by });
    }
    const commit = await triggerCommit(gen, pipeline, request.commit);
    opts.log.info(`inbox: trigger of ${pipeline.name} at ${commit.slice(0, 7)} by ${request.by}`);
    opts.queue.add(pipeline.name, { kind: 'commit', commit, trigger: 'trigger' });
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = check()
      .catch((e: unknown) => opts.log.error(`inbox: ${e instanceof Error ? e.message : String(e)}`))
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
export async function triggerCommit(gen: Generation, pipeline: PipelineConfig, commit: string | undefined): Promise<string> {
  const gitdir = statePaths(gen.ctx.config.settings.stateDir).git(pipeline.name);
  const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
  const { head } = await fetchMirror({ remote, gitdir });
  return commit ? resolveCommit(gitdir, commit) : head;
}
