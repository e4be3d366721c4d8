import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { plainCopy } from '../../tools/grading/plain-copy.ts';

/** What structuredClone makes of a value, or the error it throws. */
const outcome = (copy: (value: unknown) => unknown, value: unknown) => {
  try {
    return { copy: copy(value) };
  } catch (error) {
    return { threw: (error as Error).name };
  }
};

test('plainCopy makes the copy structuredClone makes, or throws as it does', () => {
  // Objects with null prototypes, __proto__ keys, sparse arrays, Dates, Maps, boxed values, -0,
  // NaN, bigints, functions and symbols among them (200 runs: a few thousand nodes of each kind).
  const values = fc.anything({ withNullPrototype: true, withSparseArray: true, withDate: true, withMap: true, withSet: true, withBoxedValues: true, withBigInt: true, withObjectString: true });
  fc.assert(
    fc.property(fc.oneof(values, fc.func(values), fc.constant(Symbol('s'))), (value) => {
      const [plain, structured] = [outcome(plainCopy, value), outcome(structuredClone, value)];
      expect(isDeepStrictEqual(plain, structured), inspect({ value, plain, structured }, { depth: 9 })).toBe(true);
      if ('copy' in plain && typeof value === 'object' && value !== null) expect(plain.copy).not.toBe(value);
    }),
    { seed: 2026, numRuns: 200 },
  );
});

test('an object reached twice stays one object in the copy, as structuredClone keeps it', () => {
  const shared = { netMinor: 100 };
  const cyclic: Record<string, unknown> = { name: 'cycle' };
  cyclic.self = cyclic;
  const copied = plainCopy({ a: shared, b: shared, cyclic });
  expect(copied.a).toBe(copied.b);
  expect(copied.a).not.toBe(shared);
  expect((copied.cyclic as Record<string, unknown>).self).toBe(copied.cyclic);
});

test('a proxy, an array with a property of its own and a getter are copied as structuredClone copies them', () => {
  const extra = Object.assign([1, 2], { note: 'x' });
  expect(plainCopy({ extra }).extra).toEqual(structuredClone({ extra }).extra);
  expect((plainCopy({ extra }).extra as unknown as { note: string }).note).toBe('x');
  expect(() => plainCopy({ p: new Proxy({}, {}) })).toThrow(/could not be cloned/);
  expect(plainCopy({ get total() { return 3; } })).toEqual({ total: 3 });
});
