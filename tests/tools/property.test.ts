/**
 * checkProperty gives fast-check's verdicts with fast-check's values, drawn once per process.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { checkProperty, valuesFor } from '../../tools/grading/property.ts';
import { eventsArbitrary } from '../../specs/03-webhooks/task-handler.ts';
import { drawsArbitrary } from '../../specs/03-webhooks/retry-schedule.ts';

const options = { seed: 2026, numRuns: 200 };

/** The values fc.check puts to a property, in its order. */
function triedByCheck<T>(arbitrary: fc.Arbitrary<T>): T[] {
  const tried: T[] = [];
  fc.check(fc.property(arbitrary, (value) => void tried.push(value)), options);
  return tried;
}

const records = fc.record({ id: fc.uuid({ version: 4 }), email: fc.emailAddress(), at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), n: fc.integer() });
const streams = fc.array(fc.integer(), { maxLength: 6 }).chain((xs) => fc.shuffledSubarray(xs, { minLength: xs.length }).map((order) => ({ xs, order })));

test.each([
  ['records of strings, uuids, e-mails and dates', records],
  ['chained arbitraries (a stream and its shuffled deliveries)', streams],
  ["3.1's events", eventsArbitrary],
  ["3.2's jitter draws", drawsArbitrary(7)],
] as [string, fc.Arbitrary<unknown>][])('the values drawn for %s are the ones fc.check tries, in its order', (_, arbitrary) => {
  expect(valuesFor(arbitrary, options)).toEqual(triedByCheck(arbitrary));
});

test('values are drawn once per arbitrary, seed and number of runs', () => {
  expect(valuesFor(records, options)).toBe(valuesFor(records, options));
  expect(valuesFor(records, { ...options, seed: 1 })).not.toEqual(valuesFor(records, options));
});

test('a failing value is shrunk as fc.check shrinks it: the same counterexample and error', () => {
  const predicates: ((r: { n: number; email: string }) => boolean)[] = [
    (r) => r.n < 1000,
    (r) => !(r.n > 10 && r.email.length > 12),
    (r) => {
      if (r.email.includes('.') && r.n % 7 === 0) throw new Error(`no: ${r.n}`);
      return true;
    },
  ];
  for (const predicate of predicates) {
    const ours = checkProperty(records, predicate, options);
    const theirs = fc.check(fc.property(records, predicate), options);
    expect(ours.failed).toBe(true);
    expect(ours.counterexample).toEqual(theirs.counterexample);
    expect(String(ours.errorInstance)).toBe(String(theirs.errorInstance));
  }
});

test('a property that holds passes, after trying every value once', () => {
  let calls = 0;
  const outcome = checkProperty(records, () => (calls++, true), options);
  expect(outcome.failed).toBe(false);
  expect(calls).toBe(options.numRuns);
});

test('an answer that passes a value the second time it sees it still fails with the first failure', () => {
  const seen = new Set<string>();
  // Fails each value once: on the retry fast-check makes to shrink it, it holds.
  const forgetsNothing = (r: { id: string }) => {
    const first = !seen.has(r.id);
    seen.add(r.id);
    return !first || r.id < '8';
  };
  const outcome = checkProperty(records, forgetsNothing, options);
  expect(outcome.failed).toBe(true);
  expect(outcome.counterexample![0].id >= '8').toBe(true);
});
