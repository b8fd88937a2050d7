import { loadConfig } from './src/config/load.ts';
try { await loadConfig('/tmp/tmp.fI5LphHVhg/c', { env: { HOME: '/home/x', TITLE: 'Secret Title' }, cwd: '/tmp/tmp.fI5LphHVhg' }); } catch (e) { console.log(String((e as Error).message)); }
try { await loadConfig('/tmp/tmp.fI5LphHVhg/nope', { env: { HOME: '/home/x' }, cwd: '/tmp/tmp.fI5LphHVhg' }); } catch (e) { console.log(String((e as Error).message)); }
