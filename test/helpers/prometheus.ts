// Debian's Prometheus, the real scraper and validator: `promtool check metrics` on a body, and a
// private server on 127.0.0.1 (its own config and TSDB folder in a temp dir) scraping one target.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './fixture-app.ts';
import { waitFor } from './wait.ts';

export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';

export function prometheusMissing(): string | undefined {
  if (existsSync(PROMTOOL) && existsSync(PROMETHEUS)) return undefined;
  const why = 'promtool/prometheus are not installed (Debian: apt-get install prometheus)';
  if (process.env.CI) throw new Error(`the metrics tests are mandatory in CI, but ${why}`);
  return why;
}

/** promtool check metrics < body: exit code and what it said (0 clean, 1 parse error, 3 lint problems). */
export function promtoolCheck(body: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
    child.stdin.end(body);
  });
}

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export async function startPrometheus(target: string, opts: { metricsPath?: string } = {}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-prometheus-'));
  const port = await freePort();
  await writeFile(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: slipway
    metrics_path: ${opts.metricsPath ?? '/metrics'}
    static_configs: [{ targets: ["${target}"] }]
`);
  const child: ChildProcess = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000, what: `prometheus ready; its log:\n${log}` });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    stop,
    query: async (expr) => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as { status: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.status === 'success' ? body.data!.result : [];
    },
  };
}
