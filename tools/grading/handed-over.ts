/**
 * Values a check hands an answer as the answer's own: the copies a purity check gives a handler
 * (3.1's state and event, 4.3's breaker state and input) and then compares with what it kept.
 *
 * Run in-process, an answer that edits its argument in place edits the check's copy, and the
 * check sees it. Run in its sandbox, the answer edits a copy of the copy, made when the call was
 * written as JSON, and the check would see nothing: an answer that returns the state it edited
 * would pass where in-process it fails. So for an argument marked here, the sandbox reports the
 * argument as it was after the call when the call changed it, and the checker's side of the
 * call (sandbox/call.ts) makes the same change to the check's copy. Only marked arguments: a
 * check's shared figures (a scenario, a policy) are never written to by an answer, which in a
 * checker that grades a whole class would reach the next submission's grading.
 */
const handedOver = new WeakSet<object>();
/**
 * Marks are kept only where calls go to a sandbox (call.ts asks for them when it loads): run
 * in-process, an answer edits the check's copy itself, and a weak set of every copy a check
 * hands over (3.1 hands two per call, thousands of calls per answer) costs the most of all.
 */
let keeping = false;
export const keepMarks = () => void (keeping = true);

/** Mark `value` as the answer's to change: a change it makes in its sandbox is made here too. */
export function handOver<T extends object>(value: T): T {
  if (keeping) handedOver.add(value);
  return value;
}

export const isHandedOver = (value: unknown): value is object => typeof value === 'object' && value !== null && handedOver.has(value);

const isContainer = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * Make `target` what `source` (plain data, read back from JSON) is, in place: the same objects
 * and arrays kept where both sides have one, so that a check holding a part of its copy sees the
 * change too. Properties are defined, never assigned, so that a `__proto__` key in the answer's
 * data is a property, not a new prototype.
 */
export function changeInPlace(target: object, source: unknown): void {
  if (!isContainer(source) || Array.isArray(target) !== Array.isArray(source)) return;
  const into = target as Record<string, unknown>;
  for (const key of Object.keys(into)) if (!Object.hasOwn(source, key)) delete into[key];
  if (Array.isArray(target)) target.length = (source as unknown as unknown[]).length;
  for (const key of Object.keys(source)) {
    // Own properties only: `into.__proto__` would be Object.prototype, changed in place.
    const [was, now] = [Object.hasOwn(into, key) ? into[key] : undefined, source[key]];
    if (isContainer(was) && isContainer(now) && Array.isArray(was) === Array.isArray(now)) changeInPlace(was, now);
    else define(into, key, now);
  }
  // JSON tells `{a, b}` from `{b, a}`: an answer that deleted a key and added it again changed its
  // argument, so the keys are put back in the order the answer left them.
  const order = Object.keys(source);
  if (!Array.isArray(target) && Object.keys(into).some((key, i) => key !== order[i])) {
    for (const key of order) {
      const value = into[key];
      delete into[key];
      define(into, key, value);
    }
  }
}

const define = (into: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(into, key, { value, writable: true, enumerable: true, configurable: true });
