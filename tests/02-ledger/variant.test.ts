/**
 * A cohort's variant of chapter 2: the checker's own figures (the races, the second payment,
 * the random ledgers) change in the checks, the key's text values and the chapter text, and
 * the reference answers still pass. The modules are loaded afresh under the variant.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { fillValues } from '../../tools/build/generated.ts';
import { scenarioTextValues } from '../../solutions/02-ledger/key.ts';

const dir = mkdtempSync(join(tmpdir(), 'variant-02-'));
const variant = {
  '02-ledger': {
    racePaymentMinor: 20_000,
    raceLegitimateRefundMinor: 7_000,
    raceOverRefundMinor: 12_000,
    secondPaymentMinor: 8_000,
    overRefundExcessMinor: 500,
    ledgerRuns: 120,
    ledgerSeed: 77,
  },
};

type Loaded = {
  chapter: typeof import('../../specs/02-ledger/chapter.ts').chapter;
  values: Record<string, string>;
};
let loaded: Loaded;

beforeAll(async () => {
  const file = join(dir, 'cohort.json');
  writeFileSync(file, JSON.stringify(variant));
  process.env.WORKBOOK_VARIANT = file;
  vi.resetModules();
  const { chapter } = await import('../../specs/02-ledger/chapter.ts');
  const key = await import('../../solutions/02-ledger/key.ts');
  loaded = { chapter, values: key.scenarioTextValues() };
  await chapter.prepare?.();
}, 60_000);

afterAll(async () => {
  await loaded?.chapter.close?.();
  delete process.env.WORKBOOK_VARIANT;
  // The next file in this process loads the chapter afresh, without the variant.
  vi.resetModules();
  rmSync(dir, { recursive: true, force: true });
});

test('a variant changes the figures the key gives the text, and the text with them', () => {
  const defaults = scenarioTextValues();
  const changed = Object.keys(defaults).filter((name) => defaults[name] !== loaded.values[name]).sort();
  expect(changed).toEqual(['ledgerRuns', 'overRefundOfSecond', 'raceLegitimateRefund', 'raceOverRefund', 'racePayment', 'secondPayment']);
  expect(loaded.values).toMatchObject({ racePayment: '$200.00', raceLegitimateRefund: '$70.00', raceOverRefund: '$120.00', secondPayment: '$80.00', overRefundOfSecond: '$85.00', ledgerRuns: '120' });
  // Figures the student's SQL writes are not a variant's: they stay.
  expect(loaded.values.payment).toBe(defaults.payment);
  const text = readFileSync('exercises/02-ledger/README.md', 'utf8');
  const before = fillValues(text, { ...defaults, postgresVersion: '15' });
  const after = fillValues(text, { ...loaded.values, postgresVersion: '15' });
  expect(after).not.toBe(before);
  expect(after).toContain('<!-- value:racePayment -->$200.00<!-- /value -->');
  expect(after).toContain('<!-- value:secondPayment -->$80.00<!-- /value -->');
  expect(after).not.toMatch(/<!-- value:(racePayment|secondPayment) -->\$(100|50)\.00/);
});

test('the reference answers pass every task under the variant, and its checks use its figures', { timeout: 90_000 }, async () => {
  const reference = await loaded.chapter.loadAnswers('solutions/02-ledger');
  for (const task of loaded.chapter.tasks) {
    const result = await task.check(reference);
    expect(result.status, `${task.id}: ${result.message}`).toBe('pass');
    if (task.id === '2.2') expect(result.figures).toMatchObject({ ledgers: 120, seed: 77 });
  }
  // A guard with no lock: the race's message quotes the variant's amounts.
  const noLock = readFileSync('tests/02-ledger/fixtures/guard-for-update.sql', 'utf8').replace(/  PERFORM 1 FROM transactions WHERE id = original_id FOR \/\* lock \*\/ UPDATE;\n/, '');
  const refunds = reference.refunds.text.replace(/(-- step: refund-schema\n)[\s\S]*?(\n-- step: partial-refund)/, (_, head: string, tail: string) => `${head}${noLock}\n${tail}`);
  const result = await loaded.chapter.tasks.find((t) => t.id === '2.3')!.check({ ...reference, refunds: { ...reference.refunds, text: refunds } });
  expect(result.status).toBe('fail');
  expect(result.message).toMatch(/two \$120\.00 refunds of a \$200\.00 payment/);
});

test('a variant whose race figures make no sense is refused when the chapter loads', async () => {
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ '02-ledger': { raceOverRefundMinor: 4_000 } }));
  process.env.WORKBOOK_VARIANT = join(dir, 'bad.json');
  vi.resetModules();
  await expect(import('../../specs/02-ledger/scenario.ts')).rejects.toThrow(/one raceOverRefundMinor must fit in racePaymentMinor, two must not/);
  process.env.WORKBOOK_VARIANT = join(dir, 'cohort.json');
});
