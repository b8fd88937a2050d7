// Runs the test git server in its own process so that its event loop does not share a core with
// the side being measured. Prints the base URL on the first stdout line; stop it with SIGTERM.
import { startGitServer } from '../test/helpers/git-server.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: lib-git-server-child.ts ROOT');
const server = await startGitServer({ root });
process.stdout.write(`${server.url}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
