/**
 * The explorer and @xstate/graph's `getShortestPaths` must find the same reachable states, and
 * the same shortest-path length to each: the library is the reference, the explorer the fast one.
 */
import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { candidateEvents as idempotencyEvents, createIdempotencyModel, scenarioConfig } from '../../models/idempotency-store/machine.ts';
import { candidateEvents as twoPhaseEvents, createTwoPhaseCommitModel } from '../../models/two-phase-commit/machine.ts';
import { defaultStateKey, explore } from '../../tools/explore/explore.ts';

const cases: { name: string; machine: AnyStateMachine; events: (snapshot: never) => readonly { type: string }[] }[] = [
  { name: 'the idempotency store, exercise scenario', machine: createIdempotencyModel(scenarioConfig), events: idempotencyEvents },
  {
    name: 'the idempotency store, a client that sends no key',
    machine: createIdempotencyModel({ ...scenarioConfig, keyForAttempt: null }),
    events: idempotencyEvents,
  },
  { name: 'two-phase commit with three resource managers', machine: createTwoPhaseCommitModel({ resourceManagers: 3 }), events: twoPhaseEvents },
];

/** Shortest-path length to each reachable state, keyed like the explorer's default key. */
function libraryDistances(machine: AnyStateMachine, events: (snapshot: never) => readonly { type: string }[]) {
  const paths = getShortestPaths(machine, {
    events: events as never,
    serializeState: (snapshot) => defaultStateKey(snapshot as never),
  });
  // The library's paths begin with the machine's start as a step (`xstate.init`); the
  // explorer counts events only.
  const eventsIn = (path: (typeof paths)[number]) => path.steps.filter((step) => step.event.type !== 'xstate.init').length;
  return new Map(paths.map((path) => [defaultStateKey(path.state as never), eventsIn(path)]));
}

function explorerDistances(machine: AnyStateMachine, events: (snapshot: never) => readonly { type: string }[], fastPath: boolean) {
  const result = explore(machine, { events: events as never, fastPath });
  return new Map(result.snapshots.map((snapshot, i) => [defaultStateKey(snapshot), result.pathTo(i).steps.length]));
}

describe.each(cases)('on $name', ({ machine, events }) => {
  const expected = libraryDistances(machine, events);

  test.each([true, false])('the explorer (fast path: %s) finds the same states at the same distances as getShortestPaths', (fastPath) => {
    const actual = explorerDistances(machine, events, fastPath);
    expect(actual.size).toBe(expected.size);
    expect(new Map([...actual].sort())).toEqual(new Map([...expected].sort()));
  });
});
