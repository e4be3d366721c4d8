/**
 * The encoded explorer on two worker threads (tools/explore/encoded-parallel.ts) against TLC and
 * against the single-threaded explorer: the same counts, the same shortest traces, the same
 * budget error. A prototype, measured and not wired in (tools/bench/paxos-commit/README.md,
 * "Worker threads"); each run starts two workers that load tsx (about half a second), so these
 * run with `npm run test:slow`.
 */
import { describe, expect, test } from 'vitest';
import { createPaxosCommitModel, invariants } from '../../tools/bench/paxos-commit/model.ts';
import { exploreEncoded } from '../../tools/explore/encoded.ts';
import { exploreEncodedParallel, type EncodedModelSource } from '../../tools/explore/encoded-parallel.ts';
import { StateBudgetExceeded } from '../../tools/explore/explore.ts';
import { replay, singletons } from './encoded-helpers.ts';

const url = new URL('../../tools/bench/paxos-commit/model.ts', import.meta.url).href;
const published: EncodedModelSource = { url, model: 'createPaxosCommitModel', invariants: 'invariants' };
const counts = ({ figures }: { figures: { states: number; generated: number; depth: number; terminal: number } }) => ({
  states: figures.states,
  generated: figures.generated,
  depth: figures.depth,
  terminal: figures.terminal,
});

test("two workers count Paxos Commit's states exactly as TLC does", async () => {
  const { figures, violations } = await exploreEncodedParallel(published);
  expect(violations).toEqual([]);
  expect({ states: figures.states, generated: figures.generated, depth: figures.depth }).toEqual({
    states: 1_321_761,
    generated: 16_959_159,
    depth: 28,
  });
});

test('reduced by symmetry, two workers count what one thread counts', async () => {
  const parallel = await exploreEncodedParallel(published, { symmetry: true });
  expect(parallel.violations).toEqual([]);
  expect(counts(parallel)).toEqual(counts(exploreEncoded(createPaxosCommitModel(), { invariants, symmetry: true })));
});

describe('with majorities that do not intersect', () => {
  const model = createPaxosCommitModel(singletons);
  const source: EncodedModelSource = { ...published, args: [singletons] };

  test.each([false, true])('two workers find the shallowest violation, with a real shortest trace (symmetry %s)', async (symmetry) => {
    const parallel = await exploreEncodedParallel<ReturnType<typeof model.decode>>(source, { symmetry });
    const single = exploreEncoded(model, { invariants, symmetry });
    expect(parallel.violations.map((v) => v.property.id)).toEqual(single.violations.map((v) => v.property.id));
    const { property, trace } = parallel.violations[0]!;
    expect(trace.steps).toHaveLength(single.violations[0]!.trace.steps.length);
    const last = replay(model, trace);
    expect(invariants.find((invariant) => invariant.id === property.id)!.holds(last)).toBe(false);
  });
});

test('past maxStates the workers stop with the budget error', async () => {
  const error = await exploreEncodedParallel(published, { maxStates: 5000 }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StateBudgetExceeded);
  expect((error as Error).message).toMatch(/more than 5,000 distinct states/);
});
