import { describe, expect, test } from 'vitest';
import { transition } from 'xstate';
import {
  candidateEvents,
  createTwoPhaseCommitModel,
  invariants,
  type TwoPhaseCommitModel,
} from '../../models/two-phase-commit/machine.ts';
import { explore, type Trace } from '../../tools/explore/explore.ts';

/** A trace is a real execution: each step is xstate's own transition from the step before. */
function expectReplays(machine: TwoPhaseCommitModel, trace: Trace<any, any>) {
  let at = trace.initial;
  for (const step of trace.steps) {
    const [next] = transition(machine, at, step.event);
    expect(next.context).toEqual(step.snapshot.context);
    at = step.snapshot;
  }
}

// The planted bug: the transaction manager commits without waiting for every Prepared message.
const hasty = createTwoPhaseCommitModel({ resourceManagers: 3 }).provide({
  guards: { everyRmPrepared: ({ context }) => context.tmState === 'init' },
});

describe.each([true, false])('with the fast path %s', (fastPath) => {
  test('two-phase commit as specified keeps its invariants in every reachable state', () => {
    const machine = createTwoPhaseCommitModel({ resourceManagers: 3 });
    const result = explore(machine, { events: candidateEvents, invariants, fastPath });
    expect(result.violations).toEqual([]);
    expect(result.figures.states).toBe(288);
  });

  test('a TM that commits before every RM prepared breaks consistency, shown by a shortest trace', () => {
    const result = explore(hasty, { events: candidateEvents, invariants, fastPath });
    expect(result.violations).toHaveLength(1);
    const [violation] = result.violations;
    expect(violation!.property.id).toBe('2PC-TC');
    // Shortest: the TM commits at once, one RM aborts on its own, another receives Commit.
    expect(violation!.trace.steps.map((step) => step.event.type).sort()).toEqual(
      ['RM_CHOOSE_TO_ABORT', 'RM_RCV_COMMIT_MSG', 'TM_COMMIT'].sort(),
    );
    expectReplays(hasty, violation!.trace);
    const last = violation!.trace.steps.at(-1)!.snapshot;
    expect(invariants[0]!.holds(last)).toBe(false);
  });

  test('collecting all violations reports each broken property once, each with a shortest trace', () => {
    const lying = [
      ...invariants,
      { id: 'NEVER-COMMITS', statement: 'No RM ever commits (false: planted).', task: 'test', holds: (s: any) => !s.context.rmState.includes('committed') },
    ];
    const machine = createTwoPhaseCommitModel({ resourceManagers: 3 });
    const result = explore(machine, { events: candidateEvents, invariants: lying, stopAtFirstViolation: false, fastPath });
    expect(result.violations.map((v) => v.property.id)).toEqual(['NEVER-COMMITS']);
    // Three prepares, three Prepared received, the commit decision, one RM commits: 2N + 2.
    expect(result.violations[0]!.trace.steps).toHaveLength(8);
    expectReplays(machine, result.violations[0]!.trace);
    expect(result.figures.states).toBe(288);
  });
});

test('a step property is checked on every transition and its trace ends with the bad step', () => {
  const machine = createTwoPhaseCommitModel({ resourceManagers: 3 });
  const result = explore(machine, {
    events: candidateEvents,
    stepProperties: [
      {
        id: 'NO-ABORT-AFTER-PREPARE',
        statement: 'A prepared RM never aborts (false: planted).',
        task: 'test',
        holds: (before, event, after) =>
          !('rm' in event) || !(before.context.rmState[event.rm] === 'prepared' && after.context.rmState[event.rm] === 'aborted'),
      },
    ],
  });
  const trace = result.violations[0]!.trace;
  // One RM prepares and the TM aborts (in either order), then the prepared RM receives Abort.
  expect(trace.steps.map((step) => step.event.type).sort()).toEqual(['RM_PREPARE', 'RM_RCV_ABORT_MSG', 'TM_ABORT']);
  expect(trace.steps.at(-1)!.event.type).toBe('RM_RCV_ABORT_MSG');
  expectReplays(machine, trace);
});
