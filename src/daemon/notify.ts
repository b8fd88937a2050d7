// Notifications: after a run ends (or stops at a gate) each `notify` webhook that asked for the
// event gets one JSON POST. The body is generic JSON that also carries `text`, so the same target
// works for Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat read `text` and
// ignore the rest). A failing notification is logged and never fails a run; secrets are masked.
import type { NotifyTarget } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { maskSecrets } from '../exec/mask.ts';
import type { FailureTail } from '../state/failure-tail.ts';
import { pagePath } from '../report/format.ts';
import { reportUrlOf } from '../report/links.ts';

export type NotifyEvent = NotifyTarget['on'][number];
/** Events of a host's sync rather than of a run (src/daemon/notify-host.ts builds their payload). */
export type HostEvent = Extract<NotifyEvent, 'drift' | 'synced' | 'heal-failed'>;
export type RunEvent = Exclude<NotifyEvent, HostEvent>;

/** Ended outcomes that say whether a pipeline is healthy; superseded and interrupted say nothing. */
const VERDICTS: Partial<Record<RunRecord['status'], 'good' | 'bad'>> = { passed: 'good', deployed: 'good', failed: 'bad' };

/**
 * The events of a run that just changed status, given the verdict of the pipeline's previous
 * decided run: `recovery` is the first good run after a failure.
 */
export function eventsFor(run: Pick<RunRecord, 'status'>, previous: 'good' | 'bad' | undefined): RunEvent[] {
  if (run.status === 'waiting') return ['waiting'];
  const verdict = VERDICTS[run.status];
  if (verdict === 'bad') return ['failure'];
  if (verdict !== 'good') return [];
  const out: RunEvent[] = [];
  if (previous === 'bad') out.push('recovery');
  if (run.status === 'deployed') out.push('deployed');
  return out;
}

export function verdictOf(run: Pick<RunRecord, 'status'>): 'good' | 'bad' | undefined {
  return VERDICTS[run.status];
}

export interface NotifyPayload {
  text: string;
  event: RunEvent;
  pipeline: string;
  run: number;
  status: string;
  commit: { id: string; message: string; author: string };
  error?: string;
  /** The run's page: report.url (else the server's listen address) + its path. */
  url?: string;
  /** A failure: the step that failed, its log (relative to the state folder) and its last lines. */
  failedStep?: { name: string; host?: string; error?: string; log: string; tail: string[] };
}

export function buildPayload(event: RunEvent, run: RunRecord, opts: { secrets: readonly string[]; reportUrl?: string; failure?: FailureTail }): NotifyPayload {
  const subject = run.commit.message.split('\n', 1)[0] ?? '';
  const short = run.commit.id.slice(0, 7);
  const words: Record<RunEvent, string> = {
    failure: `FAILED: ${run.pipeline} #${run.number} (${short} ${subject})${run.error ? `: ${run.error}` : ''}`,
    recovery: `recovered: ${run.pipeline} #${run.number} ${run.status} (${short} ${subject})`,
    deployed: `deployed: ${run.pipeline} #${run.number} (${short} ${subject})`,
    waiting: `waiting: ${run.pipeline} #${run.number} (${short} ${subject}) needs approval: slipway approve ${run.pipeline} ${run.number}`,
  };
  const mask = (t: string): string => maskSecrets(t, opts.secrets);
  const url = reportUrlOf(opts.reportUrl?.replace(/\/+$/, ''), pagePath.run(run.pipeline, run.number));
  const failure = event === 'failure' ? opts.failure : undefined;
  // Chat clients render a fenced block as monospace; the tail is already masked and stripped of
  // control characters, and masked again here with everything else.
  const tail = failure && failure.lines.length > 0 ? `\n${failure.step.name}: last lines of ${failure.logPath}:\n\`\`\`\n${failure.lines.join('\n').replaceAll('```', "'''")}\n\`\`\`` : '';
  const payload: NotifyPayload = {
    text: mask(`${url ? `${words[event]} ${url}` : words[event]}${tail}`),
    event,
    pipeline: run.pipeline,
    run: run.number,
    status: run.status,
    commit: { id: run.commit.id, message: mask(subject), author: mask(run.commit.author.name) },
  };
  if (run.error) payload.error = mask(run.error);
  if (url) payload.url = url;
  if (failure) {
    const s = failure.step;
    payload.failedStep = { name: mask(s.name), ...(s.host ? { host: s.host } : {}), ...(s.error ? { error: mask(s.error) } : {}), log: failure.logPath, tail: failure.lines.map(mask) };
  }
  return payload;
}

/** POST to every target that wants the event; resolves when all have answered or failed (10 s each). */
export async function sendNotifications(
  targets: readonly NotifyTarget[],
  event: NotifyEvent,
  payload: NotifyPayload | { text: string; event: HostEvent },
  opts: { secrets: readonly string[]; log: (level: 'warn' | 'debug', line: string) => void; timeoutMs?: number },
): Promise<void> {
  const body = JSON.stringify(payload);
  await Promise.all(
    targets
      .filter((t) => t.on.includes(event))
      .map(async (t) => {
        // The URL itself may hold a token (Slack's does): it is a secret for the log.
        const where = maskSecrets(t.webhook.replace(/^(https?:\/\/[^/]+).*/, '$1/…'), opts.secrets);
        try {
          const res = await fetch(t.webhook, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'slipway' },
            body,
            signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (!res.ok) opts.log('warn', `notify ${event} to ${where}: answered ${res.status}; the run is not affected`);
          else opts.log('debug', `notify ${event} to ${where}: ${res.status}`);
        } catch (e) {
          opts.log('warn', `notify ${event} to ${where}: ${maskSecrets(e instanceof Error ? e.message : String(e), opts.secrets)}; the run is not affected`);
        }
      }),
  );
}
