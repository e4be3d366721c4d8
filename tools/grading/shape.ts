/**
 * Checks of an answer's shape before its content, so that a wrong type gets a message that
 * names the task and the field instead of a TypeError deep inside a check.
 */

export type Validator = (value: unknown) => boolean;
export type ShapeSpec = { [field: string]: Validator | ShapeSpec };

/** Thrown when an answer has the wrong type; the grader reports it as a fail, not a crash. */
export class WrongShape extends Error {
  override name = 'WrongShape';
}

export const isInteger: Validator = (v) => Number.isSafeInteger(v);
export const isBoolean: Validator = (v) => typeof v === 'boolean';
export const isOneOf =
  (...values: readonly unknown[]): Validator =>
  (v) =>
    values.includes(v);
export const isListOf =
  (...values: readonly unknown[]): Validator =>
  (v) =>
    Array.isArray(v) && v.every((item) => values.includes(item));

/** Returns the value as given, or throws WrongShape naming the field that does not fit. */
export function expectShape<T>(where: string, value: T, spec: ShapeSpec, path = ''): T {
  if (typeof value !== 'object' || value === null) {
    throw new WrongShape(`${where}${path} should be an object, got ${JSON.stringify(value) ?? String(value)}`);
  }
  for (const [field, rule] of Object.entries(spec)) {
    const v = (value as Record<string, unknown>)[field];
    if (typeof rule === 'function') {
      if (!rule(v)) throw new WrongShape(`${where}${path}.${field} has an unexpected value: ${JSON.stringify(v) ?? String(v)}`);
    } else {
      expectShape(where, v, rule, `${path}.${field}`);
    }
  }
  return value;
}
