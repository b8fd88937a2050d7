// The poll schedule's own matcher (src/daemon/cron-next.ts) against node-cron's, which it replaces
// for expressions without string tokens: the same next second for a table of expressions and
// dates, in a zone with summer time (the process's own zone is set below, before any date is read,
// and node-cron formats in the process's zone too). And the one-timer Schedules: every schedule
// ticks on its cron, a dropped one stops, a token expression still ticks through node-cron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTask } from 'node-cron';
import { compileCron, CronValues, nextCronMatch } from '../../src/daemon/cron-next.ts';
import { Schedules } from '../../src/daemon/schedule.ts';
import { waitFor } from '../helpers/wait.ts';

process.env.TZ = 'Europe/Berlin';

const EXPRESSIONS = [
  '* * * * *', '*/5 * * * * *', '*/7 * * * *', '0 * * * *', '30 2 * * *', '0 0 * * *', '15,45 9-17 * * 1-5',
  '0 0 1 * *', '0 0 1 1 *', '0 12 * * 0', '0 0 * * 7', '5 4 * * sun', '0 0 29 2 *', '0 9 13 * 5', '0 0 31 * *',
  '59 23 31 12 *', '*/10 */3 */2 */2 *', '10-50/20 * * * * *', '0 0 * jan,jul mon', '@hourly', '@daily', '@weekly',
  '@monthly', '@yearly', '0 50-10 * * * *', '0 0 22-2 * *', '0 30 1 * * 6', '1 2 3 4 5', '0 0 8-14 * 2',
];
// Away from Berlin's clock changes (last Sundays of March and October at 01:00 UTC), where the two
// matchers differ on purpose (see the test below); month ends, a leap year, a year's turn.
const BASES = [
  '2027-01-15T10:20:30.400Z', '2027-02-27T23:59:59.999Z', '2028-02-28T12:00:00Z', '2027-06-30T21:59:58Z',
  '2027-12-31T22:59:59Z', '2027-08-09T00:00:00Z', '2029-11-05T05:05:05.050Z', '2030-05-31T23:00:00Z',
];

test('our next match is node-cron\'s for every expression and date of the table, five matches on', () => {
  let compared = 0;
  for (const expression of EXPRESSIONS) {
    const fields = compileCron(expression);
    assert.ok(fields, `${expression}: compiles without node-cron's tokens`);
    const task = createTask(expression, () => {});
    // node-cron's next-match walk for a given date is not exported; its task holds it.
    const theirs = (task as unknown as { timeMatcher: { getNextMatch(d: Date): Date } }).timeMatcher;
    for (const base of BASES) {
      let ours = Date.parse(base);
      let reference = new Date(base);
      for (let i = 0; i < 5; i++) {
        ours = nextCronMatch(fields, ours);
        reference = theirs.getNextMatch(reference);
        if (inClockChangeWeek(reference) || inClockChangeWeek(new Date(ours))) break;
        assert.equal(new Date(ours).toISOString(), reference.toISOString(), `${expression} after ${base}, match ${i + 1}`);
        assert.ok(task.match(new Date(ours)), `${expression}: node-cron matches ${new Date(ours).toISOString()}`);
        compared++;
      }
    }
    void task.destroy();
  }
  assert.ok(compared > EXPRESSIONS.length * BASES.length * 4, `compared ${compared} matches`);
});

test('on the days the clocks change, our schedule follows real instants', () => {
  const fields = compileCron('30 2 * * *')!;
  // Spring forward (2027-03-28: 02:00 → 03:00 local): 02:30 does not exist, as with node-cron
  // the day is skipped.
  assert.equal(new Date(nextCronMatch(fields, Date.parse('2027-03-27T12:00:00Z'))).toISOString(), '2027-03-29T00:30:00.000Z');
  // Fall back (2027-10-31: 03:00 → 02:00 local): 02:30 happens twice, and matches twice
  // (node-cron fires once, at the second).
  const first = nextCronMatch(fields, Date.parse('2027-10-30T12:00:00Z'));
  assert.equal(new Date(first).toISOString(), '2027-10-31T00:30:00.000Z');
  assert.equal(new Date(nextCronMatch(fields, first)).toISOString(), '2027-10-31T01:30:00.000Z');
  // A poll every 5 minutes keeps polling through the repeated hour (node-cron skips that hour:
  // its next match after 02:58 summer time is 03:00 winter time).
  const every5 = compileCron('*/5 * * * *')!;
  assert.equal(new Date(nextCronMatch(every5, Date.parse('2027-10-31T00:58:00Z'))).toISOString(), '2027-10-31T01:00:00.000Z');
});

test('expressions with node-cron\'s string tokens are left to node-cron; invalid ones throw its error', () => {
  for (const expression of ['0 0 L * *', '0 0 * * 5L', '0 0 * * 2#1', '0 0 15W * *', '0 0 L-3 * *']) {
    assert.equal(compileCron(expression), undefined, expression);
  }
  assert.throws(() => compileCron('61 * * * *'), /61 is a invalid expression for minute/);
});

// Every day is the 1st to 5th of its weekday in its month: a token expression that fires each second.
const EVERY_DAY_BY_TOKENS = `* * * * * ${[0, 1, 2, 3, 4, 5, 6].flatMap((d) => [1, 2, 3, 4, 5].map((n) => `${d}#${n}`)).join(',')}`;

test('Schedules ticks each schedule on its cron, drops one that is gone, and keeps token expressions on node-cron', async () => {
  const schedules = new Schedules();
  const ticks = new Map<string, number[]>();
  const onTick = (name: string) => ticks.set(name, [...(ticks.get(name) ?? []), Date.now()]);
  try {
    await schedules.sync(new Map([['a', '* * * * * *'], ['b', '*/2 * * * * *'], ['c', EVERY_DAY_BY_TOKENS]]), onTick);
    await waitFor(() => (ticks.get('a')?.length ?? 0) >= 3 && (ticks.get('b')?.length ?? 0) >= 2 && (ticks.get('c')?.length ?? 0) >= 2, {
      timeoutMs: 10_000,
      what: 'three ticks of a, two of b and c',
    });
    // Ticks land on the second (a late event loop may push one by some ms) and b's on even seconds.
    for (const t of ticks.get('b')!) assert.equal(Math.floor(t / 1000) % 2, 0, `b ticked at ${new Date(t).toISOString()}`);
    await schedules.sync(new Map([['a', '* * * * * *']]), onTick);
    const bAt = ticks.get('b')!.length;
    const cAt = ticks.get('c')!.length;
    const aAt = ticks.get('a')!.length;
    await waitFor(() => ticks.get('a')!.length >= aAt + 2, { timeoutMs: 10_000, what: 'two more ticks of a' });
    assert.equal(ticks.get('b')!.length, bAt, 'b is gone');
    assert.equal(ticks.get('c')!.length, cAt, 'c is gone');
  } finally {
    await schedules.stopAll();
  }
  const after = ticks.get('a')!.length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(ticks.get('a')!.length, after, 'nothing ticks after stopAll');
});

function inClockChangeWeek(d: Date): boolean {
  const month = d.getUTCMonth();
  return (month === 2 || month === 9) && d.getUTCDate() >= 24;
}

test('a field holds exactly its values, across both halves of its bits', () => {
  const values = [0, 1, 7, 29, 30, 31, 45, 58, 59];
  const field = new CronValues(values);
  for (let v = -2; v <= 64; v++) assert.equal(field.has(v), values.includes(v), `has(${v})`);
  assert.equal(new CronValues([]).has(0), false);
  assert.throws(() => new CronValues([60]), /cron field value 60 is outside 0-59/);
});
