// Starts, keeps or restarts the HTTP server to match the config (a reload may add, move or drop it).
import type { Server } from 'node:http';
import type { Config, PipelineConfig } from '../config/types.ts';
import { startHttpServer } from './http-server.ts';
import type { Logger } from './log.ts';

export interface RunningServer {
  listen: string;
  address: string;
  server: Server;
  close(): Promise<void>;
  /** The server's view of the current config; swapped on reload without a restart. */
  hooks: ServerDeps;
  setSecret(secret: string | undefined): void;
}

export interface ServerDeps {
  www(): string;
  pipeline(name: string): PipelineConfig | undefined;
  poll(p: PipelineConfig): void;
  health(): Record<string, unknown>;
  /** The /metrics text (Prometheus). */
  metrics?(): string;
  webhookAnswered?(status: number): void;
}

export async function startServer(current: RunningServer | undefined, config: Config, deps: ServerDeps, log: Logger): Promise<RunningServer | undefined> {
  const listen = config.settings.server?.listen;
  const secret = config.settings.server?.webhookSecret;
  if (current && current.listen === listen) {
    current.hooks = deps;
    current.setSecret(secret);
    return current;
  }
  await current?.close();
  if (!listen) return undefined;
  const holder: { deps: ServerDeps; secret: string | undefined } = { deps, secret };
  const started = await startHttpServer(listen, {
    www: () => holder.deps.www(),
    secret: () => holder.secret,
    hasPipeline: (name) => holder.deps.pipeline(name) !== undefined,
    onHook: (name, forge) => {
      const p = holder.deps.pipeline(name);
      log.info(`http: ${forge} webhook for ${name}: polling now`);
      if (p) holder.deps.poll(p);
    },
    health: () => holder.deps.health(),
    metrics: () => holder.deps.metrics?.(),
    webhookAnswered: (status) => holder.deps.webhookAnswered?.(status),
    log: (level, line) => log[level](line),
  });
  const running: RunningServer = {
    listen,
    address: started.address,
    server: started.server,
    close: started.close,
    get hooks() {
      return holder.deps;
    },
    set hooks(d: ServerDeps) {
      holder.deps = d;
    },
    setSecret: (s) => {
      holder.secret = s;
    },
  };
  return running;
}
