/**
 * A property of an answer, checked over the values fast-check draws for a seed: drawn once per
 * process and kept. A check puts the same property (one arbitrary, seed and number of runs) to
 * every answer it is given, and drawing the values costs more than most answers take to run on
 * them (measured: 1.4's operations, about 70 % of its check). The values are the ones
 * `fc.check` would try, in its order (`fc.sample` draws them alike; tests/tools/property.test.ts
 * holds it to that), so an answer makes the calls it would make under `fc.check`.
 *
 * A value that fails goes back to fast-check as the run it failed at (`path`), which shrinks it
 * as it would have: the verdict, the smallest counterexample and its message are fast-check's.
 * The one difference is that the failing value is tried once more before shrinking, which only
 * an answer that remembers its earlier calls could tell.
 */
import fc from 'fast-check';

export interface PropertyOptions {
  seed: number;
  numRuns: number;
}

export type PropertyOutcome<T> = Pick<fc.RunDetails<[T]>, 'failed' | 'counterexample' | 'errorInstance'>;

const drawn = new WeakMap<fc.Arbitrary<unknown>, Map<string, unknown[]>>();

/** The values fast-check would try for this arbitrary, seed and number of runs, drawn once. */
export function valuesFor<T>(arbitrary: fc.Arbitrary<T>, { seed, numRuns }: PropertyOptions): readonly T[] {
  let bySeed = drawn.get(arbitrary);
  if (!bySeed) drawn.set(arbitrary, (bySeed = new Map()));
  const key = `${seed}:${numRuns}`;
  let values = bySeed.get(key) as T[] | undefined;
  if (!values) bySeed.set(key, (values = fc.sample(arbitrary, { seed, numRuns })));
  return values;
}

/**
 * `fc.check(fc.property(arbitrary, predicate), options)`, with the values drawn once per
 * process. As in fast-check, a predicate fails by returning false or by throwing.
 */
export function checkProperty<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => boolean | void, options: PropertyOptions): PropertyOutcome<T> {
  const values = valuesFor(arbitrary, options);
  for (const [run, value] of values.entries()) {
    let holds: boolean;
    let thrown: unknown;
    try {
      holds = predicate(value) !== false;
    } catch (error) {
      holds = false;
      thrown = error;
    }
    if (holds) continue;
    const shrunk = fc.check(fc.property(arbitrary, predicate), { ...options, path: String(run) });
    if (shrunk.failed) return shrunk;
    // An answer that remembers its calls may pass the value the second time: the first failure stands.
    return { failed: true, counterexample: [value], errorInstance: thrown ?? null };
  }
  return { failed: false, counterexample: null, errorInstance: null };
}
