/**
 * `structuredClone`, three times quicker on plain data: a tree of objects (of Object.prototype),
 * arrays without holes or extra properties, strings, numbers, booleans, bigints, null and
 * undefined. Anything else — a Date, a Map, a class instance, a proxy, a `__proto__` key, an
 * object reached twice (shared or in a cycle) — and the whole value goes to `structuredClone`,
 * which copies it (or throws) as it always did. On plain data the two give the same copy.
 *
 * A check that hands an answer a copy of its input on every call (3.1's handler, to catch one
 * that changes its input) spends most of its time copying. In the grader an answer's values
 * come back from its sandbox as JSON, which is always plain data.
 */
import { types } from 'node:util';

const NOT_PLAIN = Symbol('not plain');

function copy(value: unknown, seen: Set<object>): unknown {
  if (typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (value === null) return value;
  if (seen.has(value) || types.isProxy(value)) return NOT_PLAIN;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    const length = array.length;
    // No hole (`i in array`) and no key but the indexes: as structuredClone would copy it.
    if (Object.keys(array).length !== length) return NOT_PLAIN;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) {
      if (!(i in array)) return NOT_PLAIN;
      const item = copy(array[i], seen);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out[i] = item;
    }
    return out;
  }
  if (proto !== Object.prototype) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return NOT_PLAIN;
    const item = copy((value as Record<string, unknown>)[key], seen);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    out[key] = item;
  }
  return out;
}

/** A deep copy of `value`, as `structuredClone(value)` makes it. */
export function plainCopy<T>(value: T): T {
  const copied = copy(value, new Set());
  return copied === NOT_PLAIN ? structuredClone(value) : (copied as T);
}
