import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { resetVariant, scenario } from '../../tools/variant.ts';

const dir = mkdtempSync(join(tmpdir(), 'variant-'));
const withVariant = (content: unknown) => {
  const file = join(dir, `${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(content));
  process.env.WORKBOOK_VARIANT = file;
  resetVariant();
};
afterEach(() => {
  delete process.env.WORKBOOK_VARIANT;
  resetVariant();
});

describe('cohort variants', () => {
  const defaults = { clientRetryDelaySeconds: 5, chargeMinor: 10_000, currency: 'USD' };

  test('without a variant a chapter keeps its figures', () => {
    expect(scenario('01-idempotency', defaults)).toEqual(defaults);
  });
  test('a variant changes the figures it names, in its own chapter only', () => {
    withVariant({ '01-idempotency': { clientRetryDelaySeconds: 12 } });
    expect(scenario('01-idempotency', defaults)).toEqual({ ...defaults, clientRetryDelaySeconds: 12 });
    expect(scenario('03-webhooks', defaults)).toEqual(defaults);
  });
  test('a misspelt figure, a wrong type or a fractional amount is refused, naming it', () => {
    withVariant({ '01-idempotency': { clientRetryDelay: 12 } });
    expect(() => scenario('01-idempotency', defaults)).toThrow(/no figure "clientRetryDelay"/);
    withVariant({ '01-idempotency': { chargeMinor: '100' } });
    expect(() => scenario('01-idempotency', defaults)).toThrow(/chargeMinor must be a number/);
    withVariant({ '01-idempotency': { chargeMinor: 99.5 } });
    expect(() => scenario('01-idempotency', defaults)).toThrow(/whole number/);
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
