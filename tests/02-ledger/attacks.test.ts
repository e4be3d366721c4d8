/**
 * Chapter 2 attacked from both sides: designs a student would plausibly write, wrong ones
 * that must fail and right ones unlike the key's that must pass; and no failing message or
 * hint may hand out the figure the task asks for.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CheckResult } from '../../tools/grading/task.ts';
import { chapter, type LedgerAnswers } from '../../specs/02-ledger/chapter.ts';
import { chapter as hidden } from '../../specs/02-ledger/hidden.ts';
import { answerFigures } from '../../specs/02-ledger/scenario.ts';

let reference: LedgerAnswers;

beforeAll(async () => {
  reference = await chapter.loadAnswers('solutions/02-ledger');
  await chapter.prepare?.();
}, 60_000);

// The server stays up for the next file in this worker (one database start-up per worker, not
// per file); the worker's exit stops it (tools/sql/embedded-server.ts).

const check = (id: string, answers: LedgerAnswers) => [...chapter.tasks, ...hidden.tasks].find((t) => t.id === id)!.check(answers);
const fixture = (name: string) => readFile(`tests/02-ledger/fixtures/${name}`, 'utf8');

function edited(key: 'schemaAndPayment' | 'refunds', edit: (text: string) => string): LedgerAnswers {
  const text = edit(reference[key].text);
  if (text === reference[key].text) throw new Error(`the edit of ${reference[key].name} changed nothing`);
  return { ...reference, [key]: { ...reference[key], text } };
}

/** The reference refunds file with its refund-schema step replaced by `sql`. */
const withRefundSchema = (sql: string) =>
  edited('refunds', (text) => text.replace(/(-- step: refund-schema\n)[\s\S]*?(\n-- step: partial-refund)/, (_, head: string, tail: string) => `${head}${sql}\n${tail}`));

/** The reference 2.1 with `sql` run after the tables, before the accounts and the payment. */
const withSchemaAddition = (sql: string) => edited('schemaAndPayment', (text) => text.replace(/^INSERT INTO accounts/m, () => `${sql}\nINSERT INTO accounts`));

const expectVerdict = (result: CheckResult, status: 'pass' | 'fail') => expect(result.status, `${result.message}\n${result.trace ?? ''}`).toBe(status);

describe('the refund guard under concurrency', () => {
  test('an advisory lock on the payment passes READ COMMITTED, but at REPEATABLE READ the second check reads an old snapshot and both $60 refunds commit', { timeout: 60_000 }, async () => {
    const result = await check('2.3', withRefundSchema(await fixture('guard-advisory-lock.sql')));
    expectVerdict(result, 'fail');
    expect(result.message).toMatch(/at REPEATABLE READ: both committed, refunding more than the payment/);
    expect(result.message).not.toMatch(/advisory|FOR (NO KEY )?UPDATE|SERIALIZABLE|refund_claims/i);
  });

  test('the hidden checks race three sessions and refunds that use the payment up exactly; the key passes them', { timeout: 90_000 }, async () => {
    for (const task of hidden.tasks) {
      const result = await task.check(reference);
      expect(result.status, `${task.id}: ${result.message}\n${result.trace ?? ''}`).toBe('pass');
    }
  });

  test('a guard with no lock fails the hidden races too, under the hidden task’s id', { timeout: 60_000 }, async () => {
    const noLock = (await fixture('guard-for-update.sql')).replace(/  PERFORM 1 FROM transactions WHERE id = original_id FOR \/\* lock \*\/ UPDATE;\n/, '');
    const result = await check('2.3h', withRefundSchema(noLock));
    expectVerdict(result, 'fail');
    expect(result.message).toMatch(/^2\.3h: (three|two) \$\d+\.\d\d refunds of a \$\d+\.\d\d payment, written concurrently at READ COMMITTED: .*committed, refunding more than the payment/);
    expect(result.trace).toMatch(/^[ABC]: /m);
  });

  test('a guard that checks over-refunds in dollars only passes the visible 2.3 and fails the hidden one on a euro refund', { timeout: 60_000 }, async () => {
    const dollarsOnly = edited('refunds', (text) => text.replace('  IF (SELECT abs(SUM(e.amount_minor))', "  IF upper(NEW.currency) = 'USD' AND (SELECT abs(SUM(e.amount_minor))"));
    expectVerdict(await check('2.3', dollarsOnly), 'pass');
    const result = await check('2.3h', dollarsOnly);
    expectVerdict(result, 'fail');
    expect(result.message).toMatch(/^2\.3h: a refund of one minor unit more than the EUR payment .* was committed/);
  });

  test('right guards unlike the key’s pass the hidden races as well', { timeout: 90_000 }, async () => {
    for (const name of ['guard-remaining-per-leg.sql', 'guard-counter-on-payment.sql']) {
      expectVerdict(await check('2.3h', withRefundSchema(await fixture(name))), 'pass');
    }
  });
});

describe('the invariant’s enforcement', () => {
  test('a CHECK constraint, which sees one row, lets an unbalanced transaction commit', async () => {
    const answers = { ...reference, enforcement: { ...reference.enforcement, text: 'ALTER TABLE entries ADD CONSTRAINT leg_not_zero CHECK (amount_minor <> 0 AND abs(amount_minor) < 1000000000);' } };
    const result = await check('2.2', answers);
    expectVerdict(result, 'fail');
    expect(result.message).toMatch(/^2\.2: an unbalanced transaction .* was committed: the database must refuse it/);
  });
});

describe('stored balances', () => {
  test('a balance column kept by a trigger beside the entries (a running total) passes 2.1, 2.2 and 2.3', { timeout: 60_000 }, async () => {
    const answers = withSchemaAddition(await fixture('balance-column-maintained.sql'));
    for (const id of ['2.1', '2.2', '2.3']) expectVerdict(await check(id, answers), 'pass');
  });

  test('a balance column that nothing updates fails 2.1, and the message does not give the sum', async () => {
    const result = await check('2.1', withSchemaAddition('ALTER TABLE accounts ADD COLUMN balance_minor bigint NOT NULL DEFAULT 0;'));
    expectVerdict(result, 'fail');
    expect(result.message).toMatch(/accounts\.balance_minor of (alice|bob) is 0, which is not the sum of its entries/);
    expect(result.message).not.toContain(String(answerFigures.paymentMinor));
  });
});

describe('no failing message or hint states the value asked for', () => {
  const { paymentMinor, partialRefundMinor } = answerFigures;
  const afterPartial = paymentMinor - partialRefundMinor;
  /** Wrong answers whose own figures differ from the expected ones, with the figures the task expects. */
  const wrongAnswers: [string, string, () => LedgerAnswers, number[]][] = [
    ['2.1', 'a payment written in dollars, not cents', () => edited('schemaAndPayment', (s) => s.replaceAll(String(paymentMinor), String(paymentMinor / 100))), [paymentMinor]],
    ['2.1', 'a payment whose Bob leg is short by a cent', () => edited('schemaAndPayment', (s) => s.replace(`SELECT t.id, a.id, ${paymentMinor}, 'USD'`, `SELECT t.id, a.id, ${paymentMinor - 1}, 'USD'`)), [paymentMinor]],
    ['2.3', 'a partial refund written in dollars', () => edited('refunds', (s) => s.replaceAll(`${partialRefundMinor},`, `${partialRefundMinor / 100},`)), [afterPartial, partialRefundMinor]],
  ];
  for (const [id, what, answers, expected] of wrongAnswers) {
    test(`${id}: ${what} fails without the expected figures`, { timeout: 30_000 }, async () => {
      const result = await check(id, answers());
      expectVerdict(result, 'fail');
      for (const figure of expected) expect(result.message).not.toMatch(new RegExp(`(^|[^\\d])${figure}([^\\d]|$)`));
    });
  }

  test('no hint quotes a figure of the answers', () => {
    for (const task of [...chapter.tasks, ...hidden.tasks]) {
      for (const figure of [paymentMinor, afterPartial, partialRefundMinor]) expect(task.hint, task.id).not.toContain(String(figure));
      expect(task.hint, task.id).toMatch(/\?/);
    }
  });
});
