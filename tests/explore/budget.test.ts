import { expect, test } from 'vitest';
import { candidateEvents, createTwoPhaseCommitModel, stateKey } from '../../models/two-phase-commit/machine.ts';
import { explore, StateBudgetExceeded } from '../../tools/explore/explore.ts';

const machine = createTwoPhaseCommitModel({ resourceManagers: 5 });

function budgetError(options: { maxStates?: number; maxHeapMb?: number }): StateBudgetExceeded {
  try {
    explore(machine, { events: candidateEvents, stateKey, ...options });
  } catch (error) {
    if (error instanceof StateBudgetExceeded) return error;
    throw error;
  }
  throw new Error('the exploration finished within its budget');
}

test('past maxStates the explorer stops with a message saying how far it got and which bound to lower', () => {
  const error = budgetError({ maxStates: 1000 });
  expect(error.budget).toBe('states');
  expect(error.progress.states).toBe(1000);
  expect(error.progress.explored).toBeGreaterThan(0);
  expect(error.progress.explored).toBeLessThan(1000);
  expect(error.depth).toBeGreaterThan(1);
  expect(error.message).toMatch(/more than 1,000 distinct states/);
  expect(error.message).toMatch(/every state up to depth \d+ found/);
  expect(error.message).toMatch(/Lower the model's bounds/);
  expect(error.message).toMatch(/raise maxStates/);
});

test('past maxHeapMb the explorer stops with a message instead of running out of memory', () => {
  const error = budgetError({ maxHeapMb: 1 });
  expect(error.budget).toBe('memory');
  expect(error.message).toMatch(/the heap passed \d+ MB/);
  expect(error.message).toMatch(/maxHeapMb/);
});

test('a budget the space fits in changes nothing', () => {
  const result = explore(machine, { events: candidateEvents, stateKey, maxStates: 8832 });
  expect(result.figures.states).toBe(8832);
  expect(result.figures.peakMemoryMb).toBeGreaterThan(0);
});
