/**
 * The chapter's checks on Postgres: the reference answers pass every task, and wrong answers
 * fail with a message that names the task. One embedded database serves the whole file.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isNotAnswered, NOT_ANSWERED, type CheckResult } from '../../tools/grading/task.ts';
import { sharedDatabase } from '../../tools/sql/database.ts';
import { stripSolutions } from '../../tools/build/stubs.ts';
import { answerFiles, chapter, type LedgerAnswers } from '../../specs/02-ledger/chapter.ts';

const solutions = 'solutions/02-ledger';
let reference: LedgerAnswers;

beforeAll(async () => {
  reference = await chapter.loadAnswers(solutions);
  await sharedDatabase(); // the slow start-up, once
}, 60_000);

afterAll(() => chapter.close?.());

const task = (id: string) => chapter.tasks.find((t) => t.id === id)!;

/** The reference answers with one SQL file edited. */
function withSql(key: 'schemaAndPayment' | 'unbalancedQuery' | 'enforcement' | 'refunds', edit: (text: string) => string): LedgerAnswers {
  const source = reference[key];
  const text = edit(source.text);
  if (text === source.text) throw new Error(`the edit of ${source.name} changed nothing`);
  return { ...reference, [key]: { ...source, text } };
}

async function expectFailure(id: string, answers: LedgerAnswers, message: RegExp): Promise<CheckResult> {
  const result = await task(id).check(answers);
  expect(result.status, result.message).toBe('fail');
  expect(result.message).toMatch(new RegExp(`^${id.replace('.', '\\.')}: `));
  expect(result.message).toMatch(message);
  return result;
}

test('every task passes on the reference answers', { timeout: 30_000 }, async () => {
  for (const t of chapter.tasks) {
    const result = await t.check(reference);
    expect(result.status, `${t.id}: ${result.message}`).toBe('pass');
  }
});

describe('2.1 the schema and the payment', () => {
  test('a float money column fails', async () => {
    await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('amount_minor   bigint', 'amount_minor   double precision')), /double precision/);
  });
  test('an int4 amount fails (it overflows)', async () => {
    await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('amount_minor   bigint', 'amount_minor   integer')), /overflows/);
  });
  test('a payment of $100 written as 100 cents fails on the balances', async () => {
    await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replaceAll('10000', '100')), /expected alice -10000/);
  });
  test('SQL that does not parse fails with the database error and the line', async () => {
    const result = await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('CREATE TABLE accounts', 'CREATE TABEL accounts')), /syntax error/);
    expect(result.message).toMatch(/2\.1-schema-and-payment\.sql:\d+/);
  });
  test('a reference that is not unique fails', async () => {
    await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('reference   text NOT NULL UNIQUE', 'reference   text NOT NULL')), /UNIQUE/);
  });
});

describe('2.2 the invariant', () => {
  test('a query that ignores currencies misses the mixed-currency corruption, with the ledger as trace', async () => {
    const result = await expectFailure(
      '2.2',
      withSql('unbalancedQuery', (s) => s.replace('GROUP BY transaction_id, currency', 'GROUP BY transaction_id')),
      /the query returned/,
    );
    expect(result.trace).toContain('another currency');
  });
  test('a query that returns every transaction fails', async () => {
    await expectFailure('2.2', withSql('unbalancedQuery', (s) => s.replace('HAVING SUM(amount_minor) <> 0', '')), /the query returned/);
  });
  test('a query that drops the checker’s tables is refused by Postgres, and the ledger is left whole', async () => {
    await expectFailure('2.2', withSql('unbalancedQuery', (text) => `DROP TABLE entries CASCADE;\n${text}`), /read-only transaction/);
    expect((await task('2.3').check(reference)).status).toBe('pass');
  });

  test('an enforcement checked per row instead of at COMMIT refuses even a balanced payment', async () => {
    await expectFailure('2.2', withSql('enforcement', (s) => s.replace('DEFERRABLE INITIALLY DEFERRED\n', '')), /balanced payment .* refused/);
  });
  test('no enforcement at all lets an unbalanced transaction commit', async () => {
    await expectFailure('2.2', withSql('enforcement', (s) => s.replace(/CREATE CONSTRAINT TRIGGER[\s\S]*?;\n/, '')), /unbalanced transaction .* was committed/);
  });
});

describe('2.3 refunds', () => {
  test('a refund by UPDATE of the payment fails: the original rows changed', async () => {
    const byUpdate = (s: string) =>
      s.replace(
        /-- step: partial-refund\n-- BEGIN SOLUTION\n[\s\S]*?-- END SOLUTION/,
        `-- step: partial-refund\nUPDATE entries SET amount_minor = amount_minor * 7 / 10;`,
      );
    // A student who did not make entries append-only, and refunds by editing the payment:
    const withoutAppendOnly = (s: string) => s.replace(/CREATE TRIGGER entries_are_append_only[\s\S]*?;\n/, '');
    await expectFailure('2.3', withSql('refunds', (s) => withoutAppendOnly(byUpdate(s))), /rows changed after partial-refund/);
  });
  test('a schema that lets refunds exceed the payment fails', async () => {
    await expectFailure('2.3', withSql('refunds', (s) => s.replace(/CREATE CONSTRAINT TRIGGER refunds_within_original[\s\S]*?;\n/, '')), /must refuse/);
  });
});

describe('2.4 the crash between the INSERTs', () => {
  test('predicting that autocommit keeps the payment whole fails, with the model trace', async () => {
    const hopeful: LedgerAnswers = { ...reference, whatSurvivesACrash: (mode, point) => (point === 'before the first INSERT' ? 'nothing' : 'both entries') };
    const result = await expectFailure('2.4', hopeful, /autocommit, crash after the first INSERT/);
    expect(result.trace).toContain('the process crashes');
  });
});

describe('unanswered stubs', () => {
  test('every task of the generated stubs is reported as not answered', async () => {
    const stubs: LedgerAnswers = { ...reference };
    for (const key of ['schemaAndPayment', 'unbalancedQuery', 'enforcement', 'refunds'] as const) {
      const text = await readFile(`${solutions}/${answerFiles[key]}`, 'utf8');
      stubs[key] = { name: answerFiles[key], text: stripSolutions(text, 'sql') };
    }
    stubs.whatSurvivesACrash = () => {
      throw new Error(`TODO: ${NOT_ANSWERED}`);
    };
    for (const t of chapter.tasks) {
      const outcome = await Promise.resolve()
        .then(() => t.check(stubs))
        .then((r) => r, (error: unknown) => error);
      expect(isNotAnswered(outcome), `${t.id}: ${String(outcome)}`).toBe(true);
    }
  });
});
