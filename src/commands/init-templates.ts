// The files `slipway init` writes. They validate as written once the key files named in
// slipway.yaml exist (the loader insists on that, rightly: a deploy cannot log in without them);
// the values marked CHANGE ME are placeholders that validate but point nowhere real: example.com
// and 192.0.2.x (TEST-NET-1, reserved for documentation, RFC 5737).

export interface StarterOptions {
  /** The schema folder as seen from the config folder: a relative or an absolute path. */
  schemaRef: string;
}

/** Relative path inside the config folder → file text. */
export function starterFiles(opts: StarterOptions): Record<string, string> {
  const schema = (file: string, depth: number): string => {
    const base = opts.schemaRef.startsWith('/') ? opts.schemaRef : `${'../'.repeat(depth)}${opts.schemaRef}`;
    return `# yaml-language-server: $schema=${base}/${file}`;
  };
  return {
    'slipway.yaml': lines(
      schema('slipway.schema.json', 0),
      '# slipway settings. Every key, its type and default: docs/configuration.md in the slipway package.',
      '# Relative paths are relative to this folder; ~/ is the home of the user who runs slipway.',
      '',
      '# Runs, logs and the HTML report (state/www/index.html). The .gitignore beside this file keeps it',
      '# out of git. On a server, an absolute path such as /var/lib/slipway is a good choice.',
      'stateDir: state',
      'concurrency: 2                       # pipelines working at once',
      '',
      'ssh:',
      '  # The key slipway logs in with, and the host keys it trusts. Both files must exist:',
      '  #   ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519   then put the .pub line in each host\'s',
      '  #                                               ~deploy/.ssh/authorized_keys',
      '  #   ssh-keyscan -H HOST >> ~/.ssh/known_hosts    then compare `ssh-keygen -lf` of it with the',
      '  #                                               fingerprint the host itself shows',
      '  # Slipway never trusts a host key on first use.',
      '  identity: ~/.ssh/id_ed25519',
      '  knownHosts: ~/.ssh/known_hosts',
      '  connectTimeout: 10s                # connect + SSH handshake',
      '  commandTimeout: 10m                # default bound of every remote command',
      '',
      'report:',
      '  title: "Deploys"                   # CHANGE ME: the title of the report pages',
    ),
    'hosts.yaml': lines(
      schema('hosts.schema.json', 0),
      '# The inventory: host name -> how slipway reaches it over SSH. Environments in pipelines/*.yaml',
      '# name these hosts. A host\'s key must be in ssh.knownHosts (slipway.yaml), or pinned here as',
      '# hostKey: a "SHA256:..." fingerprint (as `ssh-keygen -lf` prints it) or a public key line.',
      '',
      'staging1:',
      '  address: 192.0.2.10                # CHANGE ME: IP address or DNS name',
      '  user: deploy                       # the deploy user (docs/securing.md)',
      '  env: { PORT: "3000" }              # exported to every command on this host; quote numbers',
      '',
      'prod1:',
      '  address: 192.0.2.20                # CHANGE ME',
      '  port: 22',
      '  user: deploy',
      '  env: { PORT: "3000" }',
      '  # hostKey: "SHA256:..."            # instead of a known_hosts entry',
    ),
    'pipelines/example.yaml': lines(
      schema('pipeline.schema.json', 1),
      '# One pipeline; its name is this file\'s name ("example"): rename the file to rename it.',
      'repo: https://git.example.com/acme/app.git   # CHANGE ME: http(s) URL of your app\'s repository',
      'branch: main',
      'poll: "*/2 * * * *"                          # cron: look for new commits every 2 minutes',
      '# Private repository: a token from a file or an environment variable; it is masked everywhere.',
      '# auth: { token: "${file:/etc/slipway/example-token}" }',
      'timeout: 10m                                 # bound of the whole test stage',
      'test:                                        # run on this machine, in a fresh checkout of the commit',
      '  - npm ci',
      '  - npm test',
      '',
      'deploy:',
      '  path: ~/apps/example                       # CHANGE ME: on each host (releases/, shared/, current)',
      '  source: pull                               # the host fetches the commit itself: it needs git',
      '  steps:                                     # in the new release folder, before the switch',
      '    - npm ci --omit=dev',
      '  restart: sudo systemctl restart example    # CHANGE ME: docs/recipes.md has units and a sudoers line',
      '  healthCheck:',
      '    url: http://127.0.0.1:$PORT/health        # fetched on the host with curl; $PORT from hosts.yaml',
      '    timeout: 30s',
      '    interval: 1s',
      '  keepReleases: 5',
      '',
      'environments:',
      '  - name: staging',
      '    hosts: [staging1]',
      '  - name: production',
      '    hosts: [prod1]',
      '    approval: manual                         # waits for `slipway approve example RUN`',
    ),
    '.gitignore': lines(
      '# The state folder (stateDir in slipway.yaml): runs, logs, the report. Not config.',
      '/state/',
    ),
  };
}

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}
