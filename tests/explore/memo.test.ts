import { expect, test } from 'vitest';
import { memoByValue, valueKey } from '../../tools/explore/memo.ts';

test('two configs share a key only when they explore alike: same figures, the same function', () => {
  const handler = () => 1;
  expect(valueKey({ delays: [60, 120], handler })).toBe(valueKey({ delays: [60, 120], handler }));
  expect(valueKey({ delays: [60, 120], handler })).not.toBe(valueKey({ delays: [60, 120], handler: () => 1 }));
  // What JSON alone would blur.
  for (const [a, b] of [[Number.NaN, null], [Infinity, null], [-0, 0], [undefined, null]] as const) {
    expect(valueKey({ x: a }), `${String(a)} vs ${String(b)}`).not.toBe(valueKey({ x: b }));
  }
  expect(valueKey({ x: undefined })).not.toBe(valueKey({}));
});

test('a memo computes once per distinct value and again for another', () => {
  let runs = 0;
  const square = memoByValue(({ n }: { n: number }) => (runs++, n * n));
  expect([square({ n: 3 }), square({ n: 3 }), square({ n: 4 })]).toEqual([9, 9, 16]);
  expect(runs).toBe(2);
});

test('a memo keeps only its most recently used results, so a class of submissions cannot fill it', () => {
  let runs = 0;
  const square = memoByValue(({ n }: { n: number }) => (runs++, n * n), 2);
  square({ n: 1 });
  square({ n: 2 });
  square({ n: 1 }); // 1 is now the most recently used
  square({ n: 3 }); // drops 2, the least recently used
  expect(runs).toBe(3);
  square({ n: 1 });
  expect(runs).toBe(3);
  square({ n: 2 });
  expect(runs).toBe(4);
});
