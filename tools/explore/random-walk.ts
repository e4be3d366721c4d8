/**
 * Random runs of a machine, for fast-check: from the initial state, repeatedly pick one of
 * the enabled events (by an index fast-check chooses) and take it. Complements the
 * exhaustive explorer on configs too large to enumerate.
 */
import { initialTransition, transition, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';
import type { Trace } from './explore.ts';

export function randomWalk<TMachine extends AnyStateMachine>(
  machine: TMachine,
  events: (snapshot: SnapshotFrom<TMachine>) => readonly EventFromLogic<TMachine>[],
  choices: readonly number[],
): Trace<SnapshotFrom<TMachine>, EventFromLogic<TMachine>> {
  const initial = initialTransition(machine as AnyStateMachine)[0] as SnapshotFrom<TMachine>;
  const steps: Trace<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>['steps'] = [];
  let snapshot = initial;
  for (const choice of choices) {
    const enabled = events(snapshot).filter((event) => machine.getTransitionData(snapshot as never, event).length > 0);
    if (enabled.length === 0) break;
    const event = enabled[choice % enabled.length]!;
    snapshot = transition(machine, snapshot, event)[0] as SnapshotFrom<TMachine>;
    steps.push({ event, snapshot });
  }
  return { initial, steps };
}
