import { describe, expect, test } from 'vitest';
import { createPaxosCommitModel, invariants, tlaExamplesConfig } from '../../tools/bench/paxos-commit/model.ts';
import { exploreEncoded } from '../../tools/explore/encoded.ts';
import { key, replay, shallowestViolation, singletons, successorsOf } from './encoded-helpers.ts';
import { StateBudgetExceeded } from '../../tools/explore/explore.ts';
import { FingerprintSet, FingerprintTableFull } from '../../tools/explore/fingerprints.ts';

describe('Paxos Commit with majorities that do not intersect', () => {
  const model = createPaxosCommitModel(singletons);
  const decision = invariants.find((invariant) => invariant.id === 'PC-DECISION')!;
  // The independent search is the slow part: once for both runs.
  let shallowest: number | undefined;

  test.each([false, true])('the explorer finds both decisions announced, with a real shortest trace (symmetry %s)', (symmetry) => {
    const result = exploreEncoded(model, { invariants: [decision], symmetry });
    expect(result.violations).toHaveLength(1);
    const { trace } = result.violations[0]!;
    const last = replay(model, trace);
    expect(decision.holds(last)).toBe(false);
    shallowest ??= shallowestViolation(model, (s) => !decision.holds(s));
    expect(trace.steps.length + 1).toBe(shallowest);
  });
});

describe('Paxos Commit at the published configuration, reduced by symmetry', () => {
  const model = createPaxosCommitModel(tlaExamplesConfig);
  const reduced = exploreEncoded(model, { invariants, symmetry: true });

  test('holds both invariants and keeps one state per class', () => {
    expect(reduced.violations).toEqual([]);
    expect(reduced.figures.symmetry).toBe(true);
    const canonical = new Uint32Array(model.words);
    for (let i = 0; i < reduced.figures.states; i += 997) {
      const state = reduced.stateAt(i);
      model.canonical!(state, canonical);
      expect(key(canonical)).toBe(key(state));
    }
  });

  test('renaming acceptors and RMs maps successors to successors (canonical() is a symmetry of the model)', () => {
    const classes = (states: Uint32Array[]) =>
      states
        .map((state) => {
          const out = new Uint32Array(model.words);
          model.canonical!(state, out);
          return key(out);
        })
        .sort();
    for (let i = 0; i < reduced.figures.states; i += 4999) {
      const state = reduced.stateAt(i);
      const renamed = renameAcceptorsAndRms(state);
      expect(classes(successorsOf(model, renamed).map((s) => s.state))).toEqual(classes(successorsOf(model, state).map((s) => s.state)));
    }
  });
});

/** Acceptors 1→2→3→1 and the two RMs swapped, in the encoding the model documents. */
function renameAcceptorsAndRms(state: Uint32Array): Uint32Array {
  const rotate = (word: number) => (((word & 0xfffff) << 10) | (word >>> 20)) >>> 0;
  const w2 = state[2]!;
  return Uint32Array.of(rotate(state[1]!), rotate(state[0]!), ((w2 & 0xffff0000) | ((w2 & 0xff) << 8) | ((w2 >>> 8) & 0xff)) >>> 0);
}

test('past maxStates the encoded explorer stops with the budget error', () => {
  const run = () => exploreEncoded(createPaxosCommitModel(), { maxStates: 5000 });
  expect(run).toThrow(StateBudgetExceeded);
  expect(run).toThrow(/more than 5,000 distinct states/);
});

describe('the fingerprint table', () => {
  test('finds what it stored, tells new fingerprints apart, and grows', () => {
    const set = new FingerprintSet(16);
    const added = Array.from({ length: 10_000 }, (_, i) => set.getOrAdd(i * 7919, i, i));
    expect(added.filter((result, i) => result !== ~i)).toEqual([]);
    const found = Array.from({ length: 10_000 }, (_, i) => set.getOrAdd(i * 7919, i, -5));
    expect(found.filter((result, i) => result !== i)).toEqual([]);
    expect(set.getOrAdd(1, 0, 10_000)).toBe(~10_000);
    expect(set.size).toBe(10_001);
  });

  test('a table at its size limit throws its own error, not a RangeError', () => {
    const set = new FingerprintSet(16, 64);
    expect(() => {
      for (let i = 0; i < 100; i++) set.getOrAdd(0, i, i);
    }).toThrow(FingerprintTableFull);
  });
});
