// Posting commit statuses without ever failing or delaying a run: each post runs in the
// background, each attempt bounded by a short timeout, retried a few times with backoff; what
// was posted, or why not, is written to STATE/statuses/NAME/N.json for the run page. A forge that
// is down is logged once per run, not once per status.
import type { StatusTarget } from '../config/types.ts';
import { statePaths } from '../state/store.ts';
import { writeJsonAtomic } from '../state/atomic.ts';
import { readStatusLog, type StatusPost } from '../state/status-log.ts';
import { statusRequest, type CommitStatus } from './status-request.ts';

export interface PosterOptions {
  stateDir: string;
  /** Bound of one attempt. */
  attemptTimeoutMs?: number;
  /** Waits before the 2nd, 3rd, … attempt. */
  backoffMs?: readonly number[];
  /** Told once per run when its statuses cannot be posted. */
  warn: (line: string) => void;
  /** Told after the status file of a run changed (re-render its page). */
  changed: (pipeline: string, run: number) => void;
  now?: () => Date;
}

export interface StatusJob {
  target: StatusTarget;
  pipeline: string;
  run: number;
  sha: string;
  status: CommitStatus;
}

export class StatusPoster {
  private readonly inFlight = new Set<Promise<void>>();
  /** Per run, posts in order: a late `pending` must never land after `success`. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly warned = new Set<string>();

  constructor(private readonly opts: PosterOptions) {}

  /** Returns at once; the post happens in the background. */
  post(job: StatusJob): void {
    const key = `${job.pipeline}/${job.run}`;
    const next = (this.chains.get(key) ?? Promise.resolve()).then(() => this.send(job));
    const tracked = next.finally(() => {
      this.inFlight.delete(tracked);
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    this.chains.set(key, next);
    this.inFlight.add(tracked);
  }

  /** Waits for the posts under way, at most `boundMs` (a CLI about to exit). */
  async drain(boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
    const all = (async () => {
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    })();
    await Promise.race([all, bound]);
    clearTimeout(timer);
  }

  private async send(job: StatusJob): Promise<void> {
    const req = statusRequest(job.target, job.sha, job.status);
    const backoff = this.opts.backoffMs ?? [300, 1200];
    const timeoutMs = this.opts.attemptTimeoutMs ?? 5000;
    let error = '';
    let attempts = 0;
    for (let i = 0; i <= backoff.length; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, backoff[i - 1]));
      attempts++;
      try {
        const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body), signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          error = '';
          break;
        }
        error = `${job.target.forge} answered HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check the token and its scope)' : res.status === 404 ? ' (check status.repo and status.api)' : ''}`;
        // A client error will not change on retry (except rate limits).
        if (res.status >= 400 && res.status < 500 && res.status !== 429) break;
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        error = name === 'TimeoutError' ? `no answer from ${job.target.api} within ${timeoutMs} ms` : `cannot reach ${job.target.api}: ${causeOf(e)}`;
      }
    }
    const entry: StatusPost = {
      context: job.status.context,
      state: job.status.state,
      at: (this.opts.now ?? (() => new Date()))().toISOString(),
      attempts,
      ...(error ? { error } : {}),
    };
    await this.record(job, entry);
    if (error && !this.warned.has(`${job.pipeline}/${job.run}`)) {
      this.warned.add(`${job.pipeline}/${job.run}`);
      this.opts.warn(`${job.pipeline} #${job.run}: commit status not posted: ${error}; the run goes on (see its page)`);
    }
  }

  private async record(job: StatusJob, entry: StatusPost): Promise<void> {
    try {
      const file = statePaths(this.opts.stateDir).statusLog(job.pipeline, job.run);
      const log = (await readStatusLog(this.opts.stateDir, job.pipeline, job.run)) ?? { version: 1, pipeline: job.pipeline, run: job.run, posts: [] };
      log.posts.push(entry);
      await writeJsonAtomic(file, log);
      this.opts.changed(job.pipeline, job.run);
    } catch (e) {
      this.opts.warn(`${job.pipeline} #${job.run}: cannot record the commit status: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function causeOf(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return String(cause);
}
