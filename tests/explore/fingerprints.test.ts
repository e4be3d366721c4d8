/**
 * The explorer's default state fingerprint (`fingerprintValue`) tells states apart exactly as
 * their JSON does (`defaultStateKey`): the same states, counted the same, found by the same paths.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { fingerprintString, fingerprintValue } from '../../tools/explore/fingerprints.ts';

const fingerprintOf = (value: unknown) => {
  const out = new Uint32Array(2);
  fingerprintValue(value, out);
  return `${out[0]}:${out[1]}`;
};

// What a state holds: plain data, with the values JSON writes differently from how they are.
const stateLike = fc.anything({
  key: fc.oneof(fc.string(), fc.constantFrom('value', 'context', '0', '10', 'attempt')),
  values: [fc.integer(), fc.double(), fc.string({ maxLength: 80 }), fc.boolean(), fc.constant(null), fc.constantFrom(undefined, Number.NaN, -0, Infinity, 2 ** 40, () => 0, Symbol.for('s'))],
  withNullPrototype: true,
  maxDepth: 4,
});

test('a value and its JSON read back (NaN as null, −0 as 0, a function or undefined left out) share one fingerprint', () => {
  fc.assert(
    fc.property(stateLike, (value) => {
      fc.pre(JSON.stringify(value) !== undefined);
      expect(fingerprintOf(value)).toBe(fingerprintOf(JSON.parse(JSON.stringify(value))));
    }),
  );
});

test('two values JSON writes differently get different fingerprints', () => {
  fc.assert(
    fc.property(stateLike, stateLike, (a, b) => {
      // A state is never undefined, a function or a symbol as a whole, which JSON does not write.
      fc.pre(JSON.stringify(a) !== undefined && JSON.stringify(b) !== undefined && JSON.stringify(a) !== JSON.stringify(b));
      expect(fingerprintOf(a)).not.toBe(fingerprintOf(b));
    }),
  );
});

test('a string fingerprints alike whether numbered or spelled out, and apart from its neighbours', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 100 }), { minLength: 1, maxLength: 6 }), (strings) => {
      const values = strings.map((s) => [s, `${s}x`, { [s]: s }]);
      const first = values.map(fingerprintOf);
      expect(values.map(fingerprintOf)).toEqual(first);
      expect(new Set(first).size).toBe(new Set(values.map((v) => JSON.stringify(v))).size);
    }),
  );
});

test('the kinds of value a state holds do not hash alike', () => {
  const values = [null, 0, 1, -1, 0.5, 2 ** 40, '', '0', 'null', true, false, [], {}, [0], [[]], { a: 0 }, { a: '0' }, { 0: 'a' }, ['a', 'b'], ['ab'], [1n], '1'];
  expect(new Set(values.map(fingerprintOf)).size).toBe(values.length);
});

test('an object with toJSON is fingerprinted as what it writes', () => {
  const at = new Date(Date.UTC(2026, 10, 30));
  expect(fingerprintOf({ at })).toBe(fingerprintOf({ at: at.toJSON() }));
});

test('fingerprintString still hashes a key given as text', () => {
  const a = new Uint32Array(2);
  const b = new Uint32Array(2);
  fingerprintString('order_1842_charge', a);
  fingerprintString('order_1842_chargf', b);
  expect([...a]).not.toEqual([...b]);
});
