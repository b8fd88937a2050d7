// The daemon's own full collections (src/daemon/idle-gc.ts), seen through V8's gc performance
// entries (a mark-compact is NODE_PERFORMANCE_GC_MAJOR). Nothing is timed: each test waits on
// its condition with a deadline. The test process has V8's default heap limits, far above what
// these tests allocate, so V8 itself does not start a full collection meanwhile. The busy test
// runs first: gc entries of the idle test's collections could still be on their way to an observer.
import { test } from 'node:test';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { startIdleGc } from '../../src/daemon/idle-gc.ts';
import { waitFor } from '../helpers/wait.ts';

function watchMajorGcs(): { count(): number; stop(): void } {
  let n = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++;
  });
  observer.observe({ entryTypes: ['gc'] });
  return { count: () => n, stop: () => observer.disconnect() };
}

test('a daemon busy all the time still collects once its heap has grown past the budget', async () => {
  const majors = watchMajorGcs();
  const gc = startIdleGc({ busy: () => true, growthBytes: 256 * 1024, checkMs: 20 });
  let held: Array<{ i: number; s: string }> = [];
  try {
    const before = majors.count();
    // ~1 MB of objects held past the next check: the used heap grows by more than the budget (and
    // by too little for V8 to start a full collection of its own).
    held = Array.from({ length: 12_000 }, (_, i) => ({ i, s: `poll ${i}`.repeat(4) }));
    await waitFor(() => majors.count() > before, { timeoutMs: 5000, what: `a full collection while busy (holding ${held.length} objects)` });
  } finally {
    held = [];
    gc.stop();
    majors.stop();
  }
});

test('an idle daemon collects once it has been quiet long enough', async () => {
  const majors = watchMajorGcs();
  const gc = startIdleGc({ busy: () => false, quietMs: 0, everyMs: 0, checkMs: 20 });
  try {
    await waitFor(() => majors.count() > 0, { timeoutMs: 5000, what: 'a full collection while idle' });
  } finally {
    gc.stop();
    majors.stop();
  }
});
