// JSON Schemas of every state file kind (src/state/types.ts is the TypeScript side of the same
// shapes), as plain data: validators.generated.ts is compiled from them by `npm run gen`
// (scripts/gen-state-validators.ts), so no process compiles them at runtime.
const time = { type: 'string', minLength: 1 };
const nonEmpty = { type: 'string', minLength: 1 };
const count = { type: 'integer', minimum: 0 };
const version = { type: 'integer', minimum: 1 };

const commit = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'message', 'author', 'time'],
  properties: {
    id: nonEmpty,
    message: { type: 'string' },
    author: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'email'],
      properties: { name: { type: 'string' }, email: { type: 'string' } },
    },
    time,
  },
};

const step = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'status'],
  properties: {
    id: nonEmpty,
    name: { type: 'string' },
    status: { enum: ['pending', 'running', 'passed', 'failed', 'skipped'] },
    host: { type: 'string' },
    startedAt: time,
    finishedAt: time,
    exitCode: { type: 'integer' },
    error: { type: 'string' },
  },
};

const hostOutcome = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'status'],
  properties: {
    host: nonEmpty,
    status: { enum: ['pending', 'deployed', 'failed', 'rolled-back', 'untouched'] },
    release: { type: 'string' },
    previousRelease: { type: 'string' },
    error: { type: 'string' },
  },
};

const stage = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind', 'status', 'steps'],
  properties: {
    name: nonEmpty,
    kind: { enum: ['test', 'build', 'deploy'] },
    environment: { type: 'string' },
    status: { enum: ['pending', 'running', 'passed', 'failed', 'waiting', 'skipped', 'rolled-back'] },
    startedAt: time,
    finishedAt: time,
    steps: { type: 'array', items: step },
    hosts: { type: 'array', items: hostOutcome },
    error: { type: 'string' },
  },
};

export const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'pipeline', 'number', 'status', 'commit', 'branch', 'trigger', 'createdAt', 'stages'],
  properties: {
    version,
    pipeline: nonEmpty,
    number: { type: 'integer', minimum: 1 },
    status: { enum: ['queued', 'running', 'passed', 'deployed', 'waiting', 'failed', 'interrupted', 'superseded', 'cancelled'] },
    commit,
    branch: { type: 'string' },
    trigger: { type: 'string' },
    createdAt: time,
    startedAt: time,
    finishedAt: time,
    stages: { type: 'array', items: stage },
    artifact: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'bytes', 'files', 'run'],
      properties: {
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        bytes: { type: 'integer', minimum: 0 },
        files: { type: 'integer', minimum: 0 },
        run: { type: 'integer', minimum: 1 },
      },
    },
    error: { type: 'string' },
    cause: { enum: ['commit', 'infrastructure'] },
  },
};

const environmentState = {
  type: 'object',
  additionalProperties: false,
  required: ['commit', 'release', 'deployedAt', 'run'],
  properties: { commit: nonEmpty, release: { type: 'string' }, deployedAt: time, run: count },
};

export const pipelineSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'pipeline', 'nextRunNumber', 'environments'],
  properties: {
    version,
    pipeline: nonEmpty,
    lastSeenCommit: nonEmpty,
    branches: { type: 'object', additionalProperties: nonEmpty },
    nextRunNumber: { type: 'integer', minimum: 1 },
    environments: { type: 'object', additionalProperties: environmentState },
  },
};

const hostRelease = {
  type: 'object',
  additionalProperties: false,
  required: ['release', 'commit', 'deployedAt', 'run'],
  properties: { release: nonEmpty, commit: nonEmpty, deployedAt: time, run: count },
};

const syncState = { enum: ['synced', 'out-of-sync', 'degraded', 'unknown'] };
const reasons = { type: 'array', items: { type: 'string' } };

const hostSync = {
  type: 'object',
  additionalProperties: false,
  required: ['pipeline', 'environment', 'sync', 'reasons', 'since', 'observedAt', 'drifted', 'history'],
  properties: {
    pipeline: nonEmpty,
    environment: nonEmpty,
    sync: syncState,
    reasons,
    since: time,
    observedAt: time,
    drifted: count,
    history: {
      type: 'array',
      maxItems: 50,
      items: { type: 'object', additionalProperties: false, required: ['sync', 'reasons', 'at'], properties: { sync: syncState, reasons, at: time } },
    },
    files: {
      type: 'object',
      additionalProperties: false,
      required: ['release', 'sha256'],
      properties: { release: nonEmpty, sha256: { type: 'object', additionalProperties: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{64}$' }, { type: 'null' }] } } },
    },
    heal: {
      type: 'object',
      additionalProperties: false,
      required: ['reasons', 'failures'],
      properties: { reasons, failures: count, lastRun: count, stopped: time },
    },
  },
};

export const hostSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'host', 'pipelines'],
  properties: {
    version,
    host: nonEmpty,
    pipelines: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['releases'],
        properties: { current: hostRelease, previous: hostRelease, releases: { type: 'array', items: nonEmpty } },
      },
    },
    paths: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['releases', 'pipeline'],
        properties: { pipeline: nonEmpty, current: hostRelease, previous: hostRelease, releases: { type: 'array', items: nonEmpty } },
      },
    },
    sync: { type: 'object', additionalProperties: hostSync },
  },
};

/** STATE/inbox/*.json: a request from `trigger` or `approve` to the running daemon. */
export const inboxSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'kind', 'pipeline', 'by', 'createdAt'],
  properties: {
    version,
    id: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
    kind: { enum: ['trigger', 'approve', 'deploy', 'rollback', 'cancel', 'report'] },
    pipeline: { type: 'string' },
    environment: nonEmpty,
    commit: { type: 'string', pattern: '^[0-9a-f]{4,40}$' },
    run: count,
    by: nonEmpty,
    createdAt: time,
  },
};

/** STATE/inbox/answers/ID.json: the daemon's answer to one request. */
export const answerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'id', 'state', 'time'],
  properties: {
    version,
    id: nonEmpty,
    state: { enum: ['queued', 'started', 'refused', 'done'] },
    message: { type: 'string' },
    pipeline: { type: 'string' },
    run: count,
    exitCode: { type: 'integer' },
    time,
  },
};

/** The schema of each state file kind, by the kind's name. */
export const stateSchemas = { run: runSchema, pipeline: pipelineSchema, host: hostSchema, inbox: inboxSchema, answer: answerSchema };
