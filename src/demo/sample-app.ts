// The demo's sample app: an HTTP server that answers /health with the commit it runs (from the
// REVISION file slipway writes into each release), a test script, a restart script that replaces
// the running server, and a health check. It needs only sh and node on the host.

export type SampleFiles = Record<string, { content: string; mode?: number }>;

export const sampleApp: SampleFiles = {
  'README.md': { content: '# demo-app\n\nDeployed by `slipway demo`.\n' },
  'server.js': {
    content: `const http = require('node:http');
const fs = require('node:fs');
const revision = fs.readFileSync(__dirname + '/REVISION', 'utf8').trim();
http.createServer((req, res) => {
  if (req.url === '/health') return res.end(revision + '\\n');
  res.end('demo-app ' + revision.slice(0, 7) + ' on ' + process.env.SLIPWAY_HOST + '\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  },
  'test.sh': { mode: 0o755, content: '#!/bin/sh\nset -e\nnode -e "require(\'node:assert\').equal(1 + 1, 2)"\necho "1 test passed"\n' },
  'restart.sh': {
    mode: 0o755,
    content: `#!/bin/sh
# Replace the running server. A real service would be "sudo systemctl restart demo-app".
set -e
pidfile="$(dirname "$(dirname "$PWD")")/shared/app.pid"
if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
setsid nohup node server.js >/dev/null 2>&1 < /dev/null &
echo $! > "$pidfile"
`,
  },
  'health.js': {
    content: `// Healthy when the server answers with the commit this release holds.
const want = process.env.SLIPWAY_COMMIT;
fetch('http://127.0.0.1:' + process.env.PORT + '/health')
  .then(async (r) => { const got = (await r.text()).trim(); console.log('answered ' + got.slice(0, 7)); process.exit(r.ok && got === want ? 0 : 1); })
  .catch((e) => { console.log('no answer yet: ' + e.cause?.code); process.exit(1); });
`,
  },
};

/** The broken commit: a server that crashes at start, so the health gate fails and slipway rolls back. */
export const brokenServer: SampleFiles = {
  'server.js': { content: "console.error('demo: this version crashes on start');\nprocess.exit(1);\n" },
};
