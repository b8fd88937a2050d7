// Child process for the peak-memory benchmark: runs one fetchMirror (or nothing, for the baseline
// of Node + tsx + slipway's git module) and prints its own peak RSS (VmHWM) in kB.
import { readFileSync } from 'node:fs';
import { fetchMirror } from '../src/git/mirror.ts';

const [url, gitdir] = process.argv.slice(2);
if (url && gitdir) await fetchMirror({ remote: { url, branch: 'main' }, gitdir });
const status = readFileSync('/proc/self/status', 'utf8');
const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
process.stdout.write(`${hwm}\n`);
