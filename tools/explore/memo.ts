/**
 * Explorations kept by what they explore. A check builds its model's config afresh from an
 * answer each time it runs (a schedule, a policy, a TTL), so a cache keyed by the config object
 * never serves a second check; two configs with the same figures explore the same states, so
 * here the second is served from the first. A config is plain data and functions: a function (a
 * merchant's handler) is not data, and counts by identity.
 */

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/**
 * A string that differs whenever two configs differ: JSON, with a function's identity, and the
 * values JSON would blur (NaN, ±Infinity and −0 are not null and 0; an undefined field is not an
 * absent one) spelled out.
 */
export function valueKey(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    switch (typeof v) {
      case 'function': {
        let id = functionIds.get(v);
        if (id === undefined) functionIds.set(v, (id = nextFunctionId++));
        return `\u0000function ${id}`;
      }
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0) ? v : `\u0000number ${Object.is(v, -0) ? '-0' : v}`;
      case 'undefined':
        return '\u0000undefined';
      case 'bigint':
        return `\u0000bigint ${v}`;
      default:
        return v;
    }
  });
}

/**
 * `compute`, run once per distinct argument (by `valueKey`) in this process, keeping the `keep`
 * most recently used results. Bounded because one checker grades a whole class: an exploration
 * keyed by a submission's handler is never asked for again once its grading is over, and an
 * unbounded cache would hold one per student (each a few MB).
 */
export function memoByValue<K, V>(compute: (key: K) => V, keep = 16): (key: K) => V {
  const cache = new Map<string, V>();
  return (key: K): V => {
    const id = valueKey(key);
    if (cache.has(id)) {
      // Most recently used last: the first entry is the one to drop.
      const value = cache.get(id)!;
      cache.delete(id);
      cache.set(id, value);
      return value;
    }
    const value = compute(key);
    cache.set(id, value);
    if (cache.size > keep) cache.delete(cache.keys().next().value!);
    return value;
  };
}
