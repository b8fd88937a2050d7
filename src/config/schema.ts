// The JSON Schemas of the three kinds of config file. They are the documentation: every property
// has a description and (where it has one) its default, and every object refuses unknown keys.
// loadConfig validates with them (ajv, useDefaults), and the docs and the editor schema are
// generated from them, so a key that is not described here does not exist.
import { DURATION_PATTERN } from './duration.ts';
import { observeSchema, selfHealSchema } from './observe.ts';

export const HOST_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const HTTP_URL_PATTERN = '^https?://[^\\s]+$';
// Same as HTTP_URL_PATTERN but its own string, so its error says what it is for.
const PUBLIC_URL_PATTERN = '^https?://\\S+$';
// A web address slipway calls (a health URL, a webhook): its own string, so no git hint.
const WEB_URL_PATTERN = '^https?://[\\S]+$';
const REMOTE_PATH_PATTERN = '^(/|~/).+';
const SIZE_PATTERN = '^[0-9]+(B|KB|MB|GB)$';
// Inside the workspace: not absolute, no ".." part.
const RELATIVE_PATH_PATTERN = '^(?!/)(?!(.*/)?\\.\\.(/|$)).+$';
const LISTEN_PATTERN = '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):[0-9]{1,5}$';
const HOST_KEY_PATTERN = '^(SHA256:[A-Za-z0-9+/]{43}=?|[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}( .*)?)$';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
// Refs reach git and remote shells (quoted, but a leading "-" still reads as an option to git).
const BRANCH_PATTERN = '^(?!-)[^\\s~^:?*\\[\\\\]+$';
const BRANCH_GLOB_PATTERN = '^(?!-)[^\\s~^:\\[\\\\]+$';
const ADDRESS_PATTERN = '^[^\\s-][^\\s]*$';
const USER_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';

/** What each pattern means, for error messages: `expected ${expected}, got "..."; ${hint}`. */
export const PATTERN_HINTS: Record<string, { expected: string; hint?: string }> = {
  [DURATION_PATTERN]: { expected: 'a duration like 30s, 10m or 1h' },
  [HOST_NAME_PATTERN]: {
    expected: 'a name of letters, digits, ".", "_" or "-" (starting with a letter or digit)',
  },
  [HTTP_URL_PATTERN]: {
    expected: 'an http:// or https:// URL',
    hint: 'slipway talks to git servers over smart HTTP only',
  },
  [WEB_URL_PATTERN]: { expected: 'an http:// or https:// URL' },
  [PUBLIC_URL_PATTERN]: { expected: 'an http:// or https:// URL', hint: 'the address people open the report at, like https://ci.example.com/slipway/' },
  [REMOTE_PATH_PATTERN]: { expected: 'an absolute path or ~/... on the host' },
  [LISTEN_PATTERN]: { expected: 'HOST:PORT like 127.0.0.1:8080' },
  [HOST_KEY_PATTERN]: {
    expected: 'a public key line ("ssh-ed25519 AAAA...") or a SHA256: fingerprint',
    hint: 'copy it from ssh-keyscan or ssh-keygen -lf',
  },
  [RELATIVE_PATH_PATTERN]: { expected: 'a path inside the workspace (relative, without "..")' },
  [SIZE_PATTERN]: { expected: 'a size like 500MB or 2GB' },
  [ENV_NAME_PATTERN]: { expected: 'a variable name of letters, digits and "_"' },
  [BRANCH_PATTERN]: { expected: 'a branch name' },
  [BRANCH_GLOB_PATTERN]: { expected: 'a branch name or glob like feature/*' },
  [ADDRESS_PATTERN]: { expected: 'an IP address or DNS name' },
  [USER_PATTERN]: { expected: 'a login name' },
};

type Schema = Record<string, unknown>;

function duration(description: string, fallback?: string): Schema {
  const schema: Schema = { type: 'string', pattern: DURATION_PATTERN, description };
  if (fallback !== undefined) schema.default = fallback;
  return schema;
}

function object(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { type: 'object', description, properties, additionalProperties: false, ...extra };
}

const commandList = (description: string): Schema => ({
  type: 'array',
  description,
  items: { type: 'string', minLength: 1, description: 'A shell command line.' },
});

/** A non-empty list of paths inside the workspace (cache keys and paths, artifact paths). */
const workspacePaths = (description: string, example: string[], item: string): Schema => ({
  type: 'array',
  minItems: 1,
  description,
  examples: [example],
  items: { type: 'string', pattern: RELATIVE_PATH_PATTERN, description: item },
});

const authSchema = object('Credentials for the git server; omit for public repositories.', {
  token: {
    type: 'string',
    minLength: 1,
    description: 'Access token sent as the HTTP password. Bring it in with ${env:NAME} or ${file:PATH}.',
    examples: ['${file:/etc/slipway/app-token}'],
  },
  username: {
    type: 'string',
    minLength: 1,
    default: 'x-access-token',
    description: 'HTTP user name sent with the token.',
  },
}, { required: ['token'] });

function retentionSchema(description: string): Schema {
  return object(description, {
    runs: { type: 'integer', minimum: 1, description: 'Newest runs kept per pipeline.', examples: [200] },
    days: { type: 'integer', minimum: 1, description: 'Runs that ended more than this many days ago are removed.', examples: [90] },
  });
}

function deployProperties(withDefaults: boolean): Record<string, Schema> {
  const d = (schema: Schema, fallback: unknown): Schema =>
    withDefaults ? { ...schema, default: fallback } : schema;
  return {
    path: {
      type: 'string',
      pattern: REMOTE_PATH_PATTERN,
      description: 'Folder on each host holding repo/, releases/, shared/ and the current symlink: absolute, or ~/... (the deploy user\'s home).',
      examples: ['/srv/app'],
    },
    source: d({
      type: 'string',
      enum: ['pull', 'upload', 'artifact'],
      description: 'pull: the host fetches the commit from the repo itself; upload: slipway sends the tested tree over SSH; artifact: slipway sends the artifact packed after build (needs artifact:), checked by its sha256 on the host; no git and no build on a host.',
    }, 'pull'),
    steps: d({
      type: 'array',
      description: 'Commands run in the new release folder on each host, before the switch. `{ run: CMD, once: true }` runs CMD once per environment, on its first host, after every host of the first batch has its release ready and before any host switches (database migrations).',
      examples: [['npm ci --omit=dev', { run: 'npm run migrate', once: true }]],
      items: {
        description: 'A command line, or { run, once }.',
        anyOf: [
          { type: 'string', minLength: 1, description: 'A shell command line, run on every host.' },
          object('A step with options.', {
            run: { type: 'string', minLength: 1, description: 'The shell command line.' },
            once: { type: 'boolean', description: 'true: once per environment, on its first host.' },
          }, { required: ['run'] }),
        ],
      },
    }, []),
    shared: d({
      type: 'array',
      description: 'Files and folders (ending in /) kept in PATH/shared/ and linked into every release before steps (Capistrano\'s linked_files and linked_dirs). A shared file must exist on the host; a shared folder is made when missing.',
      examples: [['.env', 'storage/']],
      items: { type: 'string', pattern: RELATIVE_PATH_PATTERN, description: 'A path in the release.' },
    }, []),
    restart: {
      type: 'string',
      minLength: 1,
      description: 'Command run after the current symlink is switched (and again after a rollback).',
      examples: ['sudo systemctl restart app'],
    },
    healthCheck: object(
      'How to tell that a host serves the new release; retried every interval until timeout. Needs command or url (or both). An environment\'s healthCheck is merged key by key over the pipeline\'s.',
      {
        command: { type: 'string', minLength: 1, description: 'Command run on the host; exit code 0 means healthy.', examples: ['curl -fsS http://127.0.0.1:$PORT/health'] },
        url: { type: 'string', pattern: WEB_URL_PATTERN, description: 'URL fetched from the host; a 2xx answer means healthy.', examples: ['http://127.0.0.1:$PORT/health'] },
        timeout: duration('Give up after this long.', withDefaults ? '30s' : undefined),
        interval: duration('Wait this long between attempts.', withDefaults ? '1s' : undefined),
      },
    ),
    keepReleases: d({
      type: 'integer',
      minimum: 2,
      description: 'Release folders kept on each host (the current one and those before it); at least 2 so a rollback has somewhere to go.',
    }, 5),
    commandTimeout: { ...duration('Bound of each remote command of this deploy; defaults to ssh.commandTimeout of slipway.yaml.'), examples: ['20m'] },
    lockTimeout: duration(
      'A deploy lock on a host (PATH/.slipway-lock) taken by another state folder and older than this is taken as left by a slipway that died, and taken over. A lock of this state folder whose run has ended is released at once.',
      withDefaults ? '30m' : undefined,
    ),
    lockWait: duration(
      'How long a deploy waits for a deploy lock held by a live deploy (shown as a step) before the run fails with cause infrastructure, nothing changed.',
      withDefaults ? '10m' : undefined,
    ),
  };
}

export const settingsSchema: Schema = object('slipway.yaml: settings of this slipway installation.', {
  stateDir: {
    type: 'string',
    minLength: 1,
    default: '../state',
    description: 'State folder (runs, logs, report); relative paths are relative to the config folder.',
  },
  concurrency: { type: 'integer', minimum: 1, default: 2, description: 'Runs at once.' },
  sandbox: {
    type: 'string',
    enum: ['auto', 'bwrap', 'none'],
    default: 'auto',
    description: 'How test commands are isolated: bwrap runs them under bubblewrap (only their workspace, a private /tmp and a per-pipeline HOME; no state folder, config, SSH keys or secret files); auto is bwrap when /usr/bin/bwrap exists, else none; none runs them as slipway\'s own user, which validate and run warn about. See docs/securing.md.',
  },
  ssh: object('How slipway connects to hosts.', {
    identity: {
      type: 'string',
      minLength: 1,
      description: 'Private key file (~/ and relative paths allowed); a host may set its own. The file must exist.',
      examples: ['~/.ssh/id_ed25519'],
    },
    knownHosts: {
      type: 'string',
      minLength: 1,
      description: 'known_hosts file used to check host keys (hashed entries too). The file must exist.',
      examples: ['~/.ssh/known_hosts'],
    },
    connectTimeout: duration('Bound of connect plus SSH handshake.', '10s'),
    commandTimeout: duration('Default bound of every remote command.', '10m'),
  }, { default: {} }),
  report: object('The HTML report.', {
    title: { type: 'string', minLength: 1, default: 'slipway', description: 'Title of the report pages.' },
    url: {
      type: 'string',
      pattern: PUBLIC_URL_PATTERN,
      description: 'Public base URL of the report (where people open STATE/www). Every link slipway sends out (notifications, commit statuses, the terminal) is this URL plus the page path; without it notifications link the server.listen address and the terminal prints the page path on disk.',
      examples: ['https://ci.example.com/slipway/'],
    },
  }, { default: {} }),
  server: object('HTTP server of `slipway run` (report and webhooks); omit to run none.', {
    listen: { type: 'string', pattern: LISTEN_PATTERN, description: 'Address to listen on, HOST:PORT.', examples: ['127.0.0.1:8080'] },
    webhookSecret: {
      type: 'string',
      minLength: 1,
      description: 'Shared secret that webhook calls must carry; bring it in with ${env:NAME}.',
      examples: ['${env:HOOK_SECRET}'],
    },
  }, { required: ['listen'] }),
  notify: {
    type: 'array',
    default: [],
    description: 'Webhooks told about runs.',
    items: object('One webhook.', {
      webhook: { type: 'string', pattern: WEB_URL_PATTERN, description: 'URL that receives a JSON POST.', examples: ['https://hooks.example/T000'] },
      on: {
        type: 'array',
        default: ['failure', 'recovery'],
        description: 'Events sent: failure, recovery (first success after a failure), deployed, waiting (held at a manual gate), drift (a host leaves synced), synced (back to synced), heal-failed (self-heal stopped after two failed heals).',
        items: { type: 'string', enum: ['failure', 'recovery', 'deployed', 'waiting', 'drift', 'synced', 'heal-failed'], description: 'An event.' },
      },
    }, { required: ['webhook'] }),
  },
  inboxTtl: duration('How long a request from trigger, approve, deploy, rollback or cancel waits in STATE/inbox/ for `slipway run` to take it; an older one is dropped (and logged) instead of acting days later.', '1h'),
  retention: retentionSchema('How much run history `slipway run` keeps in the state folder (run files and their logs); omit to keep everything. A pipeline may override it.'),
  configRepo: object('A git repository holding the config folder (GitOps for slipway itself): `slipway run` polls it, writes a new commit\'s files to STATE/config-repo/ and reloads from there when they pass validation; a bad config is logged with its located errors and the running one stays. The state folder stays the one of this local slipway.yaml.', {
    repo: { type: 'string', pattern: HTTP_URL_PATTERN, description: 'Repository URL (http:// or https://).', examples: ['https://git.example.com/acme/deploy-config.git'] },
    branch: { type: 'string', pattern: BRANCH_PATTERN, default: 'main', description: 'Branch to follow.' },
    poll: { type: 'string', default: '* * * * *', description: 'Cron expression of when to look for a new commit.', examples: ['*/5 * * * *'] },
    auth: authSchema,
}, { required: ['repo'] }),
});

export const hostSchema: Schema = object('One host slipway deploys to over SSH.', {
  address: { type: 'string', pattern: ADDRESS_PATTERN, description: 'IP address or DNS name.', examples: ['10.0.0.11'] },
  port: { type: 'integer', minimum: 1, maximum: 65535, default: 22, description: 'SSH port.' },
  user: { type: 'string', pattern: USER_PATTERN, description: 'SSH login user; deploy paths starting with ~/ are in its home.', examples: ['deploy'] },
  env: {
    type: 'object',
    default: {},
    description: 'Variables exported to every command run on this host.',
    examples: [{ PORT: '3001' }],
    propertyNames: { pattern: ENV_NAME_PATTERN },
    additionalProperties: { type: 'string', description: 'The value (quote numbers: "3001").' },
  },
  hostKey: {
    type: 'string',
    pattern: HOST_KEY_PATTERN,
    description: 'Expected host key: a public key line or a SHA256: fingerprint; otherwise ssh.knownHosts is used.',
    examples: ['SHA256:Jm1LqGWyM4BfK3t1OmUy6RjzmVbKdJ4Rb0eDqnFlgXk'],
  },
  identity: { type: 'string', minLength: 1, description: 'Private key file for this host, instead of ssh.identity. The file must exist.', examples: ['~/.ssh/web2_ed25519'] },
  proxyJump: {
    type: 'string',
    pattern: HOST_NAME_PATTERN,
    description: 'Another host of hosts.yaml to connect through (an SSH jump host, like ssh -J); its own key is verified too.',
    examples: ['bastion'],
  },
}, { required: ['address', 'user'] });

export const hostsSchema: Schema = {
  type: 'object',
  description: 'hosts.yaml: the inventory, host name -> host.',
  propertyNames: { pattern: HOST_NAME_PATTERN },
  additionalProperties: hostSchema,
};

export const pipelineSchema: Schema = object('pipelines/NAME.yaml: one pipeline; its name is the file name.', {
  repo: { type: 'string', pattern: HTTP_URL_PATTERN, description: 'Git repository URL (http:// or https://).', examples: ['https://git.example.com/acme/app.git'] },
  branch: { type: 'string', pattern: BRANCH_PATTERN, default: 'main', description: 'Branch whose new commits are tested and deployed.' },
  branches: {
    type: 'array',
    minItems: 1,
    description: 'Other branches whose new commits are tested (and built) too, never deployed: names or globs (* within a path segment, ** across). Each branch\'s commits coalesce like the deploy branch\'s; a deleted branch is forgotten.',
    examples: [['main', 'feature/*']],
    items: { type: 'string', pattern: BRANCH_GLOB_PATTERN, description: 'A branch name or glob.' },
  },
  poll: { type: 'string', default: '* * * * *', description: 'Cron expression (5 fields, or 6 with seconds) of when to look for new commits.', examples: ['*/5 * * * *'] },
  auth: authSchema,
  timeout: duration('Bound of the whole test stage.', '10m'),
  network: {
    type: 'boolean',
    default: true,
    description: 'Whether test commands may use the network; false gives them only a private loopback (with sandbox: bwrap).',
  },
  test: {
    description: 'Commands run in a fresh checkout of the commit; all must succeed before a deploy. Or a map of named jobs ({ unit: [...], lint: [...] }) run at once, each in its own fresh checkout and step; the first failing job cancels the others.',
    default: [],
    examples: [['npm ci', 'npm test'], { unit: ['npm ci', 'npm test'], lint: ['npm ci', 'npm run lint'] }],
    anyOf: [
      commandList('Commands run one after another.'),
      {
        type: 'object',
        description: 'Named jobs run in parallel.',
        minProperties: 1,
        propertyNames: { pattern: HOST_NAME_PATTERN },
        additionalProperties: { ...commandList('The job\'s commands, one after another.'), minItems: 1 },
      },
    ],
  },
  cache: object('Files kept between runs of this pipeline (dependencies): restored into the workspace before test when the key files hash the same, saved after the tests passed. With `test` as a map of jobs, it is restored into every job workspace and saved from the workspace of the first job listed. The sandbox HOME (tool caches like ~/.npm) is kept between runs too.', {
    key: workspacePaths('Files whose contents decide the cache key (a lock file).', ['package-lock.json'], 'A file of the workspace.'),
    paths: workspacePaths('Files and folders of the workspace to keep.', ['node_modules'], 'A path inside the workspace.'),
    maxSize: { type: 'string', pattern: SIZE_PATTERN, default: '1GB', description: 'Bound of this pipeline\'s cache archives together; the least recently used go first.', examples: ['500MB'] },
  }, { required: ['key', 'paths'] }),
  build: { ...commandList('Commands run after test, in the same workspace, as their own stage "build"; with artifact: their output is packed once and deployed as is.'), default: [], examples: [['npm run build']] },
  artifact: object('What is packed (tar.gz, deterministic) after build into STATE/artifacts/NAME/N.tar.gz, for deploy.source: artifact.', {
    paths: workspacePaths('Files and folders of the workspace to pack, relative to it.', ['dist', 'package.json', 'package-lock.json'], 'A path inside the workspace.'),
  }, { required: ['paths'] }),
  status: object('Commit statuses posted to the forge: pending when the test stage starts, then success or failure (context slipway/test), and one per deployed environment (slipway/deploy/ENV). A forge that fails or is slow never fails or delays a run.', {
    forge: { type: 'string', enum: ['github', 'gitea', 'gitlab'], description: 'Which API the forge speaks.' },
    api: { type: 'string', pattern: HTTP_URL_PATTERN, description: 'Base URL of the forge API.', examples: ['https://api.github.com'] },
    repo: { type: 'string', minLength: 1, description: 'The repository on the forge: OWNER/NAME (GitLab: the project path, or its numeric id).', examples: ['acme/app'] },
    token: { type: 'string', minLength: 1, description: 'API token allowed to set commit statuses; bring it in with ${env:NAME}.', examples: ['${env:GH_TOKEN}'] },
  }, { required: ['forge', 'api', 'repo', 'token'] }),
  retention: retentionSchema('This pipeline\'s own run history limits, instead of those of slipway.yaml (each key falls back to it).'),
  deploy: object('How a tested commit reaches the hosts; omit it (and environments) for a test-only pipeline.', deployProperties(true)),
  observe: observeSchema('pipeline'),
  environments: {
    type: 'array',
    minItems: 1,
    description: 'Where to deploy, in order; each environment starts after the one before it succeeded. Omit it (and deploy) for a test-only pipeline, whose runs end passed or failed.',
    items: object('One environment.', {
      name: { type: 'string', pattern: HOST_NAME_PATTERN, description: 'Name, unique in this pipeline.', examples: ['staging'] },
      hosts: {
        type: 'array',
        minItems: 1,
        description: 'Names of hosts from hosts.yaml.',
        examples: [['web1', 'web2']],
        items: { type: 'string', description: 'A host name.' },
      },
      batch: { type: 'integer', minimum: 1, description: 'Hosts deployed at a time; omit for all at once.', examples: [1] },
      approval: {
        type: 'string',
        enum: ['auto', 'manual'],
        default: 'auto',
        description: 'manual: a run waits here until `slipway approve`.',
      },
      deploy: object('Deploy keys that differ in this environment, merged over the pipeline\'s deploy.', deployProperties(false)),
      observe: observeSchema('environment'),
      selfHeal: selfHealSchema,
    }, { required: ['name', 'hosts'] }),
  },
}, { required: ['repo'] });
