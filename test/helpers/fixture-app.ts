// A tiny app repo to deploy: an HTTP server that answers /health with the commit it runs
// (from the REVISION file slipway writes), a restart script that replaces the running server,
// and a health check script. Only Node and sh are needed on the host.
import { createServer } from 'node:net';

export const appFiles: Record<string, string | { content: string; mode: number }> = {
  'server.js': `
const http = require('node:http');
const fs = require('node:fs');
const revision = fs.readFileSync(__dirname + '/REVISION', 'utf8').trim();
http.createServer((req, res) => {
  if (req.url === '/health') { res.end(revision + '\\n'); return; }
  res.statusCode = 404; res.end('not found\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  'restart.sh': {
    mode: 0o755,
    content: `#!/bin/sh
# Replace the running server: stop the one whose pid is in shared/, start this release's.
set -e
pidfile="$(dirname "$(dirname "$PWD")")/shared/app.pid"
if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
# setsid + nohup: the server outlives this SSH session, as a real service would.
PORT="$PORT" setsid nohup node server.js >/dev/null 2>&1 < /dev/null &
echo $! > "$pidfile"
`,
  },
  'health.js': `
// A commit can mark one host unhealthy on purpose: the file unhealthy-on names it.
const fs = require('node:fs');
if (fs.existsSync('unhealthy-on') && fs.readFileSync('unhealthy-on', 'utf8').trim() === process.env.SLIPWAY_HOST) {
  console.log('unhealthy on purpose'); process.exit(1);
}
fetch('http://127.0.0.1:' + process.env.PORT + '/health')
  .then(async (r) => { const t = await r.text(); process.stdout.write(t); process.exit(r.ok && t.trim() === process.env.SLIPWAY_COMMIT ? 0 : 1); })
  .catch((e) => { console.error(String(e)); process.exit(1); });
`,
  'test.sh': { mode: 0o755, content: '#!/bin/sh\necho "tests pass"\n' },
  // A deploy step that holds still while $HOME/gate-on exists on the host, until the test
  // creates $HOME/go: lets a test act (stop a host) at an exact point of a rollout.
  'gate.sh': {
    mode: 0o755,
    content: '#!/bin/sh\n[ -e "$HOME/gate-on" ] || exit 0\ntouch "$HOME/at-gate"\nwhile [ ! -e "$HOME/go" ]; do sleep 0.1; done\nrm -f "$HOME/go" "$HOME/gate-on" "$HOME/at-gate"\n',
  },
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** GET http://127.0.0.1:PORT/health; undefined when nothing answers. */
export async function appHealth(port: number): Promise<string | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    return (await r.text()).trim();
  } catch {
    return undefined;
  }
}

/** Kill the app a deploy started (its pid is in PATH/shared/app.pid). */
export async function stopApp(deployPath: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  try {
    const pid = Number((await readFile(`${deployPath}/shared/app.pid`, 'utf8')).trim());
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // no app running
  }
}
