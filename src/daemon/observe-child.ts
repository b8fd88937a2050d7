// The observe process's task (forked by observe-process.ts, entered through run-child.ts): read
// and record the hosts of the environments the daemon's observer found due, a few at once, then
// exit. ssh2 and the SSH connections live here, so the daemon that observes every minute never
// loads them (measured in docs/benchmarks.md). The daemon keeps the schedule and decides
// everything after: events, notifications, self-heal.
import type { Config } from '../config/types.ts';
import { observeEnvironment } from '../pipeline/observe-hosts.ts';
import { errorMessage } from '../pipeline/failure.ts';
import { createDaemonPool } from './generation.ts';
import type { ChildTask, FromChild, ToChild } from './run-protocol.ts';

/** Environments observed at once (each reads all its hosts at once), as the in-daemon observer did. */
const CONCURRENCY = 4;

export async function observeTargets(config: Config, task: Extract<ChildTask, { kind: 'observe' }>, send: (m: FromChild) => void): Promise<void> {
  // A run of a pipeline became due while its hosts were read: the daemon says so, and that
  // observation is dropped before it is written (observe-hosts' stillValid), as in-process.
  const busy = new Set(task.busy);
  process.on('message', (m: ToChild) => {
    if (m.type === 'busy') busy.add(m.pipeline);
  });
  const pool = createDaemonPool(config);
  const now = () => new Date();
  const todo = [...task.targets];
  const worker = async (): Promise<void> => {
    for (let t = todo.shift(); t; t = todo.shift()) {
      const { pipeline: name, environment } = t;
      const pipeline = config.pipelines.find((p) => p.name === name);
      const env = pipeline?.environments.find((e) => e.name === environment);
      if (!pipeline || !env) {
        send({ type: 'observed-env', pipeline: name, environment, found: [] });
        continue;
      }
      try {
        const found = await observeEnvironment({ config, pool, now }, pipeline, env, { record: true, stillValid: () => !busy.has(name) });
        send({ type: 'observed-env', pipeline: name, environment, found });
      } catch (e) {
        send({ type: 'observed-env', pipeline: name, environment, error: errorMessage(e) });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker));
  } finally {
    await pool.closeAll();
  }
}
