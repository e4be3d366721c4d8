import { describe, expect, test } from 'vitest';
import {
  candidateEvents,
  createTwoPhaseCommitModel,
  invariants,
  stateKey,
  symmetricStateKey,
} from '../../models/two-phase-commit/machine.ts';
import { explore } from '../../tools/explore/explore.ts';

describe.each([
  { n: 3, full: 288 },
  { n: 4, full: 1568 },
])('two-phase commit with $n interchangeable resource managers', ({ n, full }) => {
  const machine = createTwoPhaseCommitModel({ resourceManagers: n });
  const complete = explore(machine, { events: candidateEvents, invariants, stateKey });
  const reduced = explore(machine, { events: candidateEvents, invariants, symmetry: symmetricStateKey });

  test('symmetry reduction explores fewer states and says so in its figures', () => {
    expect(complete.figures.states).toBe(full);
    expect(complete.figures.symmetry).toBe(false);
    expect(reduced.figures.symmetry).toBe(true);
    expect(reduced.figures.states).toBeLessThan(full);
    // At least one representative per N! renamings, at most one per state.
    expect(reduced.figures.states * factorial(n)).toBeGreaterThanOrEqual(full);
  });

  test('the reduced exploration meets every symmetry class of the full one, at the same depth', () => {
    const classesOf = (result: typeof complete) => new Set(result.snapshots.map(symmetricStateKey));
    expect(classesOf(reduced)).toEqual(classesOf(complete));
    expect(new Set(reduced.snapshots.map(symmetricStateKey)).size).toBe(reduced.figures.states);
    expect(reduced.figures.depth).toBe(complete.figures.depth);
  });

  test('invariants that hold on the full space hold on the reduced one', () => {
    expect(reduced.violations).toEqual([]);
  });
});

test('a violation found under symmetry reduction comes with a real shortest trace', () => {
  const machine = createTwoPhaseCommitModel({ resourceManagers: 4 });
  const planted = [{ id: 'NEVER-COMMITS', statement: 'No RM ever commits (false: planted).', task: 'test', holds: (s: any) => !s.context.rmState.includes('committed') }];
  const reduced = explore(machine, { events: candidateEvents, invariants: planted, symmetry: symmetricStateKey });
  expect(reduced.violations[0]!.trace.steps).toHaveLength(2 * 4 + 2);
});

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}
