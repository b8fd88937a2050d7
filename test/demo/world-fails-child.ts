// Child of world.test.ts: makes a demo world in ROOT (argv[2]) for HOSTS (argv[3], comma-separated),
// which is set up to fail, prints the error and returns. The process must then end by itself:
// a server left listening would keep it alive.
import { createDemoWorld } from '../../src/demo/world.ts';

const [root, hosts] = process.argv.slice(2);
try {
  await createDemoWorld(root!, hosts!.split(','));
  console.log('made');
} catch (e) {
  console.log(`failed: ${(e as Error).message}`);
}
