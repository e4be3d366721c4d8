/**
 * Checks of an answer's shape before its content, so that a wrong type gets a message that
 * names the task, the field, what was given and what was expected — instead of a TypeError
 * deep inside a check.
 */

/** A predicate on a value, with what it expects in words (printed when it fails). */
export type Validator = ((value: unknown) => boolean) & { expected?: string };
export type ShapeSpec = { [field: string]: Validator | ShapeSpec };

/** Thrown when an answer has the wrong type; the grader reports it as a fail, not a crash. */
export class WrongShape extends Error {
  override name = 'WrongShape';
}

/** A validator that says what it expects: `describedAs((v) => v === 1, 'the number 1')`. */
export function describedAs(check: (value: unknown) => boolean, expected: string): Validator {
  return Object.assign((value: unknown) => check(value), { expected });
}

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value instanceof Promise) return 'a Promise';
  // JSON would print these as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
};

export const isInteger = describedAs((v) => Number.isSafeInteger(v), 'an integer');
export const isBoolean = describedAs((v) => typeof v === 'boolean', 'true or false');
export const isOneOf = (...values: readonly unknown[]): Validator =>
  describedAs((v) => values.includes(v), `one of ${values.map(show).join(', ')}`);
export const isListOf = (...values: readonly unknown[]): Validator =>
  describedAs((v) => Array.isArray(v) && v.every((item) => values.includes(item)), `a list of ${values.map(show).join(', ')}`);

const isThenable = (value: unknown) => typeof (value as { then?: unknown } | null)?.then === 'function';

/** Returns the value as given, or throws WrongShape naming the field that does not fit. */
export function expectShape<T>(where: string, value: T, spec: ShapeSpec, path = ''): T {
  if (isThenable(value)) {
    throw new WrongShape(`${where}${path} returned a Promise: answers are plain values, drop the \`async\``);
  }
  if (typeof value !== 'object' || value === null) {
    throw new WrongShape(`${where}${path} should be an object, got ${show(value)}`);
  }
  for (const [field, rule] of Object.entries(spec)) {
    const v = (value as Record<string, unknown>)[field];
    if (typeof rule === 'function') {
      if (!rule(v)) throw new WrongShape(`${where}${path}.${field} is ${show(v)}${describeMismatch(rule, v)}`);
    } else {
      expectShape(where, v, rule, `${path}.${field}`);
    }
  }
  return value;
}

function describeMismatch(rule: Validator, value: unknown): string {
  if (!rule.expected) return ', which does not fit';
  // For a list, name the first item that does not fit rather than the whole list.
  if (Array.isArray(value) && rule.expected.startsWith('a list of ')) {
    const allowed = rule.expected.slice('a list of '.length);
    const bad = value.find((item) => !allowed.split(', ').includes(show(item)));
    if (bad !== undefined) return `: ${show(bad)} is not one of ${allowed}`;
  }
  return `; expected ${rule.expected}`;
}
