import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { transition } from 'xstate';
import { explore, type Figures } from '../../tools/explore/explore.ts';
import { compileFastStep } from '../../tools/explore/fast-path.ts';
import { modelsUnderTest } from './models.ts';

const modelFolders = readdirSync(new URL('../../models/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

test('every folder of models/ is under test', () => {
  const tested = new Set(modelsUnderTest.map((model) => model.folder));
  expect(modelFolders.filter((folder) => !tested.has(folder))).toEqual([]);
});

/** The figures that must not depend on how steps are computed. */
const countsOf = ({ states, generated, transitions, depth, terminal }: Figures) => ({
  states,
  generated,
  transitions,
  depth,
  terminal,
});

describe.each(modelsUnderTest)('the fast path on $folder ($label)', ({ machine, events }) => {
  // Exploring through xstate is the slow part: once per model, for both tests below.
  let explored: ReturnType<typeof explore> | undefined;
  const viaXstate = () => (explored ??= explore(machine, { events: events as never, fastPath: false }));

  test('compiles (the model is flat and assign-only)', () => {
    expect(compileFastStep(machine).reason).toBeUndefined();
  });

  test('agrees with xstate on every reachable state and every candidate event', () => {
    const step = compileFastStep<any, any>(machine).step!;
    // The states are found by xstate itself, so that a fast-path bug cannot hide states.
    const { snapshots } = viaXstate();
    let compared = 0;
    // Thousands of steps: each is compared plainly, and expect() (a thousand times dearer) runs
    // only on a difference, so that a mismatch fails with expect's own message. Strictly equal
    // values are equal to toEqual too, so the verdicts are the same.
    for (const snapshot of snapshots) {
      for (const event of events(snapshot as never)) {
        const fast = step(snapshot, event);
        const enabled = machine.getTransitionData(snapshot as never, event as never).length > 0;
        if ((fast !== null) !== enabled) expect(fast !== null, `${event.type} enabled`).toBe(enabled);
        if (fast === null) continue;
        const [expected] = transition(machine, snapshot as never, event as never);
        const got = { value: fast.value, context: fast.context, status: fast.status };
        const want = { value: expected.value, context: expected.context, status: expected.status };
        if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
        if (!fast.matches(expected.value)) expect(fast.matches(expected.value)).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(snapshots.length);
  });

  test('finds the same states, in the same order, as exploring through xstate', () => {
    const viaFastPath = explore(machine, { events: events as never });
    expect(viaFastPath.figures.fastPath).toBe(true);
    expect(viaFastPath.snapshots.map((s) => s.context)).toEqual(viaXstate().snapshots.map((s) => s.context));
    expect(countsOf(viaFastPath.figures)).toEqual(countsOf(viaXstate().figures));
  });
});

test('a machine with entry actions is explored through xstate, with the reason given', async () => {
  const { setup, assign } = await import('xstate');
  const machine = setup({}).createMachine({
    context: { n: 0 },
    initial: 'a',
    states: {
      a: { entry: assign({ n: ({ context }) => context.n + 1 }), on: { GO: 'b' } },
      b: { on: { GO: 'a' } },
    },
  });
  expect(compileFastStep(machine).reason).toMatch(/entry\/exit/);
  const result = explore(machine, {
    events: () => [{ type: 'GO' }],
    maxStates: 10,
    stateKey: (s) => `${String(s.value)}${Math.min(s.context.n, 3)}`,
  });
  expect(result.figures.fastPath).toBe(false);
});
