/** Helpers of the encoded explorers' tests (single-threaded and on worker threads). */
import { expect } from 'vitest';
import type { PaxosCommitState } from '../../tools/bench/paxos-commit/model.ts';
import type { EncodedModel } from '../../tools/explore/encoded.ts';

// Majorities that do not intersect break Paxos's one assumption about them: two instances of
// consensus may then choose different values, and the leader can announce both decisions.
export const singletons = { majorities: [0b001, 0b010, 0b100] };

export const key = (state: Uint32Array) => `${state[0]},${state[1]},${state[2]}`;

/** Every successor of a state, as the model emits them. */
export function successorsOf(model: EncodedModel<PaxosCommitState>, state: Uint32Array): { action: number; state: Uint32Array }[] {
  const next = new Uint32Array(model.words);
  const found: { action: number; state: Uint32Array }[] = [];
  model.successors(state, next, (action) => found.push({ action, state: next.slice() }));
  return found;
}

/** A plain breadth-first search with a Set of strings: the depth of the first bad state. */
export function shallowestViolation(model: EncodedModel<PaxosCommitState>, bad: (s: Uint32Array) => boolean): number {
  const initial = new Uint32Array(model.words);
  model.initial(initial);
  const seen = new Set([key(initial)]);
  let level: Uint32Array[] = [initial];
  for (let depth = 1; level.length > 0; depth++) {
    if (level.some(bad)) return depth;
    const nextLevel: Uint32Array[] = [];
    const next = new Uint32Array(model.words);
    for (const state of level) {
      // Most successors are known already: a copy only of a new one.
      model.successors(state, next, () => {
        const text = key(next);
        if (seen.has(text)) return;
        seen.add(text);
        nextLevel.push(next.slice());
      });
    }
    level = nextLevel;
  }
  return Infinity;
}

/** The trace's states as words, by replaying its actions' names through the model. */
export function replay(model: EncodedModel<PaxosCommitState>, trace: { steps: { action: string; state: PaxosCommitState }[] }): Uint32Array {
  let state: Uint32Array = new Uint32Array(model.words);
  model.initial(state);
  for (const step of trace.steps) {
    const match = successorsOf(model, state).find(
      (candidate) => model.actions[candidate.action] === step.action && JSON.stringify(model.decode(candidate.state)) === JSON.stringify(step.state),
    );
    expect(match, `no '${step.action}' step leads to the trace's next state`).toBeDefined();
    state = match!.state;
  }
  return state;
}
