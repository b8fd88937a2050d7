// The daemon's observer (docs/observe.md): each observed environment on its own `observe`
// interval, the next observation timed from the end of the last one (so it never overlaps
// itself), a few environments at once. An environment whose pipeline has a run going or waiting
// in the queue is skipped (its hosts are changing), and an observation that a run overtook is
// dropped before it is written. The hosts are read in an observe process (observe-process.ts),
// so the daemon never holds ssh2 or an SSH connection for it; what comes back is plain data.
// Self-heal is queued as a job of the pipeline, so it runs strictly between that pipeline's other
// jobs. Nothing here can throw into the daemon.
import type { Config, EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import { observeOf } from '../config/observe.ts';
import type { RunContext } from '../pipeline/context.ts';
import type { HostObservation } from '../pipeline/observe-hosts.ts';
import { afterHeal, healDue } from '../pipeline/observe.ts';
import type { HealOutcome } from '../pipeline/heal-run.ts';
import { errorMessage } from '../pipeline/failure.ts';
import { updateHostSync } from '../state/host-sync.ts';
import type { HostSync } from '../state/types.ts';
import type { Logger } from './log.ts';
import type { Job } from './queue.ts';
import { sendNotifications, type HostEvent } from './notify.ts';
import { buildHostPayload } from './notify-host.ts';
import type { ObserveReader } from './observe-process.ts';

export interface ObserverGeneration {
  ctx: RunContext;
  pipeline(name: string): PipelineConfig | undefined;
  reportUrl?: string;
  use<T>(fn: () => Promise<T>): Promise<T>;
}

export interface ObserverDeps {
  generation: () => ObserverGeneration;
  queue: { busy(pipeline: string): boolean; add(pipeline: string, job: Job): void };
  log: Logger;
  /** Reads and records an environment's hosts (in an observe process, a few environments at once). */
  reader: ObserveReader;
}

/** An interval below this would keep a host busy answering: 1 s is the floor (tests use it). */
const MIN_EVERY_MS = 1000;

interface Slot {
  pipeline: string;
  environment: string;
  everyMs: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  healing?: boolean;
}

export class Observer {
  private readonly slots = new Map<string, Slot>();
  private stopped = false;

  constructor(private readonly deps: ObserverDeps) {}

  /** Start, keep or stop each environment's schedule to match the config. */
  sync(config: Config): void {
    const wanted = new Map<string, { pipeline: string; environment: string; everyMs: number }>();
    for (const p of config.pipelines) {
      for (const e of p.environments) {
        const o = observeOf(e);
        if (o) wanted.set(`${p.name}\0${e.name}`, { pipeline: p.name, environment: e.name, everyMs: Math.max(MIN_EVERY_MS, o.everyMs) });
      }
    }
    for (const [key, slot] of this.slots) {
      if (wanted.get(key)?.everyMs === slot.everyMs) continue;
      clearTimeout(slot.timer);
      this.slots.delete(key);
    }
    for (const [key, w] of wanted) {
      if (this.slots.has(key)) continue;
      const slot: Slot = { ...w };
      this.slots.set(key, slot);
      this.schedule(slot, w.everyMs);
    }
  }

  /** No more observations; waits for those under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    await Promise.all([...this.slots.values()].map((s) => s.running));
  }

  private schedule(slot: Slot, ms: number): void {
    if (this.stopped) return;
    slot.timer = setTimeout(() => {
      slot.running = this.tick(slot).finally(() => {
        slot.running = undefined;
        if (this.slots.get(`${slot.pipeline}\0${slot.environment}`) === slot) this.schedule(slot, slot.everyMs);
      });
    }, ms);
    slot.timer.unref();
  }

  private async tick(slot: Slot): Promise<void> {
    const gen = this.deps.generation();
    const pipeline = gen.pipeline(slot.pipeline);
    const env = pipeline?.environments.find((e) => e.name === slot.environment);
    if (!pipeline || !env) return;
    if (this.deps.queue.busy(pipeline.name)) {
      this.deps.log.debug(`${pipeline.name}/${env.name}: observation skipped: a run of ${pipeline.name} is going or waiting (its hosts are changing)`);
      return;
    }
    try {
      await gen.use(() => this.observe(gen, pipeline, env, slot));
    } catch (e) {
      this.deps.log.error(`${pipeline.name}/${env.name}: observation failed: ${errorMessage(e)}`);
    }
  }

  private async observe(gen: ObserverGeneration, pipeline: PipelineConfig, env: EnvironmentConfig, slot: Slot): Promise<void> {
    const { ctx } = gen;
    const found = await this.deps.reader.read({ pipeline: pipeline.name, environment: env.name });
    let changed = false;
    for (const o of found) {
      if (!o.sync) continue;
      if (o.previous?.sync !== o.sync.sync) changed = true;
      if (o.event) {
        this.deps.log[o.event === 'drift' ? 'warn' : 'notice'](`${pipeline.name}/${env.name} ${o.host}: ${o.sync.sync}${o.sync.reasons.length ? `: ${o.sync.reasons.join('; ')}` : ''}`);
        await this.notify(gen, o.event, o.host, o.sync);
      }
    }
    if (changed) void ctx.report();
    const due = found.filter((o) => o.sync && o.healFacts && healDue(o.sync, { selfHeal: env.selfHeal === true, locked: o.locked }));
    if (due.length === 0 || slot.healing || this.deps.queue.busy(pipeline.name)) return;
    slot.healing = true;
    this.deps.log.notice(`${pipeline.name}/${env.name}: self-heal of ${due.map((o) => o.host).join(', ')} queued`);
    this.deps.queue.add(pipeline.name, {
      kind: 'heal',
      environment: env.name,
      hosts: due.map((o) => o.host),
      settle: (outcome) => this.settle(gen, pipeline, env, due, outcome).finally(() => void (slot.healing = false)),
    });
  }

  /** After a heal run: count its failures per host; the second one for the same drift stops self-heal there. */
  private async settle(gen: ObserverGeneration, pipeline: PipelineConfig, env: EnvironmentConfig, due: HostObservation[], outcome: HealOutcome | undefined): Promise<void> {
    if (!outcome) return;
    const stateDir = gen.ctx.config.settings.stateDir;
    const byHost = new Map((outcome.run.stages.find((s) => s.environment === env.name)?.hosts ?? []).map((h) => [h.host, h.status]));
    const now = gen.ctx.now().toISOString();
    for (const o of due) {
      if (!outcome.hosts.includes(o.host)) continue;
      // Only a host the heal changed counts as healed: one left untouched still drifts (or came
      // back by itself, which the next observation clears), so a heal that cannot act stops after two.
      const ok = byHost.get(o.host) === 'deployed';
      let stopped = false;
      const written = await updateHostSync(stateDir, o.host, o.path, (prev) => {
        if (!prev) return undefined;
        const next = afterHeal(prev, { ok, run: outcome.run.number, now });
        stopped = next.stopped;
        return next.sync;
      });
      if (written && stopped) {
        this.deps.log.error(`${pipeline.name}/${env.name} ${o.host}: self-heal stopped after ${written.heal?.failures} failed heals (last: run #${outcome.run.number}); it resumes when the drift changes`);
        await this.notify(gen, 'heal-failed', o.host, written);
      }
    }
    void gen.ctx.report();
  }

  private async notify(gen: ObserverGeneration, event: HostEvent, host: string, s: HostSync): Promise<void> {
    const { config } = gen.ctx;
    const targets = config.settings.notify;
    if (!targets.some((t) => t.on.includes(event))) return;
    const payload = buildHostPayload(event, host, s, { secrets: config.secrets, ...(gen.reportUrl ? { reportUrl: gen.reportUrl } : {}) });
    await sendNotifications(targets, event, payload, { secrets: config.secrets, log: (level, line) => this.deps.log[level](line) });
  }
}
