// `observe:` and `selfHeal:` (docs/observe.md). Kept in their own file: the schema fragment and
// the resolution of one concept side by side, so schema.ts and resolve.ts only call in.
import { DURATION_PATTERN, parseDuration } from './duration.ts';

type Schema = Record<string, unknown>;

const OBSERVE_FILE_PATTERN = '^(/|~/).+';
// A systemd unit name: no spaces, no leading "-" (it reaches systemctl as an argument, quoted).
const UNIT_PATTERN = '^[A-Za-z0-9:_.@\\\\-]+$';

/** `observe:` of a pipeline or an environment: a duration, false, or { every, files, service }. */
export function observeSchema(where: 'pipeline' | 'environment'): Schema {
  const wins = where === 'environment' ? ' This environment\'s observe replaces the pipeline\'s as a whole.' : '';
  return {
    description: `How often the daemon reads what each host really runs and compares it with what this pipeline deployed (sync: synced, out-of-sync, degraded, unknown; docs/observe.md). A duration (default 1m), false to turn it off, or { every, files, service } to also compare files and watch a systemd unit.${wins}`,
    examples: ['1m', false, { every: '30s', files: ['/etc/systemd/system/app.service'], service: 'app.service' }],
    anyOf: [
      { type: 'boolean', const: false, description: 'false: no observation.' },
      { type: 'string', pattern: DURATION_PATTERN, description: 'Observe at this interval.' },
      {
        type: 'object',
        description: 'Observe with extras.',
        additionalProperties: false,
        properties: {
          every: { type: 'string', pattern: DURATION_PATTERN, description: 'Interval of the observation; 1m when omitted.', examples: ['30s'] },
          files: {
            type: 'array',
            minItems: 1,
            examples: [['/etc/systemd/system/app.service', '~/app/shared/.env']],
            description: 'Files on the host (absolute or ~/) whose sha256 is recorded at the end of each deploy and compared at each observation; a changed or missing file is out-of-sync.',
            items: { type: 'string', pattern: OBSERVE_FILE_PATTERN, description: 'A path on the host.' },
          },
          service: { type: 'string', pattern: UNIT_PATTERN, description: 'A systemd unit read with systemctl show (ActiveState, SubState, NRestarts); not active is degraded.', examples: ['app.service'] },
        },
      },
    ],
  };
}

export const selfHealSchema: Schema = {
  type: 'boolean',
  default: false,
  description: 'true: a host out-of-sync or degraded on two observations in a row is healed (switched back to the desired release, redeployed when it is gone, or restarted when only health fails) by a run with trigger heal; never while a deploy of this environment runs or waits. Two failed heals of the same drift stop it until the drift changes.',
};

export type RawObserve = false | string | { every?: string; files?: string[]; service?: string };

export interface ObserveConfig {
  everyMs: number;
  files: string[];
  service?: string;
}

const DEFAULT_EVERY = '1m';

/**
 * The environment's observe wins whole over the pipeline's. Neither written: undefined (the
 * default, see observeOf), so configs that never mention it resolve as before.
 */
export function resolveObserve(pipeline: RawObserve | undefined, environment: RawObserve | undefined): ObserveConfig | false | undefined {
  const raw = environment ?? pipeline;
  if (raw === undefined || raw === false) return raw;
  const spec = typeof raw === 'string' ? { every: raw } : raw;
  const everyMs = parseDuration(spec.every ?? DEFAULT_EVERY);
  if (everyMs === undefined) throw new Error(`unvalidated duration ${JSON.stringify(spec.every)}`);
  return { everyMs, files: [...(spec.files ?? [])], ...(spec.service !== undefined ? { service: spec.service } : {}) };
}

/** What an environment observes: undefined when observe is off. */
export function observeOf(env: { observe?: ObserveConfig | false }): ObserveConfig | undefined {
  if (env.observe === false) return undefined;
  return env.observe ?? { everyMs: parseDuration(DEFAULT_EVERY)!, files: [] };
}
