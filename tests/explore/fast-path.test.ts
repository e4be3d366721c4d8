import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
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
  /**
   * One exploration through xstate serves both tests below, the slow part: every step xstate
   * takes is computed by the fast path too and compared on the spot (a step property sees
   * xstate's own next snapshot), and every candidate event xstate finds disabled must be
   * disabled on the fast path. The states are xstate's, so that a fast-path bug cannot hide
   * states. Steps are compared plainly; the first difference is kept for expect's own message.
   */
  type Difference = { what: string; got: unknown; want: unknown };
  let explored: { exploration: ReturnType<typeof explore>; compared: number; difference?: Difference } | undefined;
  const viaXstate = () => {
    if (explored) return explored;
    const step = compileFastStep<any, any>(machine).step!;
    const run: { compared: number; difference?: Difference } = { compared: 0 };
    const differ = (what: string, got: unknown, want: unknown) => void (run.difference ??= { what, got, want });
    const exploration = explore(machine, {
      fastPath: false,
      events: (snapshot: any) => {
        const candidates = events(snapshot as never);
        for (const event of candidates) {
          if (machine.getTransitionData(snapshot, event as never).length === 0 && step(snapshot, event) !== null) differ(`${event.type} enabled`, true, false);
        }
        return candidates as any[];
      },
      stepProperties: [
        {
          id: 'FAST',
          statement: 'the fast path computes the step xstate computes',
          task: '',
          holds: (before, event, after) => {
            run.compared++;
            const fast = step(before, event);
            if (fast === null) return differ(`${event.type} enabled`, false, true), true;
            const got = { value: fast.value, context: fast.context, status: fast.status };
            const want = { value: after.value, context: after.context, status: after.status };
            if (!isDeepStrictEqual(got, want)) differ(`${event.type}`, got, want);
            if (!fast.matches(after.value as never)) differ(`${event.type}: matches`, false, true);
            return true;
          },
        },
      ],
    });
    return (explored = { exploration, ...run });
  };

  test('compiles (the model is flat and assign-only)', () => {
    expect(compileFastStep(machine).reason).toBeUndefined();
  });

  test('agrees with xstate on every reachable state and every candidate event', () => {
    const { exploration, compared, difference } = viaXstate();
    if (difference) expect(difference.got, difference.what).toEqual(difference.want);
    expect(compared).toBe(exploration.figures.transitions);
    expect(compared).toBeGreaterThan(exploration.snapshots.length);
  });

  test('finds the same states, in the same order, as exploring through xstate', () => {
    const viaFastPath = explore(machine, { events: events as never });
    const { exploration } = viaXstate();
    expect(viaFastPath.figures.fastPath).toBe(true);
    expect(viaFastPath.snapshots.map((s) => s.context)).toEqual(exploration.snapshots.map((s) => s.context));
    expect(countsOf(viaFastPath.figures)).toEqual(countsOf(exploration.figures));
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
