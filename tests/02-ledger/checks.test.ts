/**
 * The chapter's checks on Postgres: the reference answers pass every task, and wrong answers
 * fail with a message that names the task. One embedded database serves the whole file.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { NOT_ANSWERED, type CheckResult } from '../../tools/grading/task.ts';
import { WrongShape } from '../../tools/grading/shape.ts';

import { stripSolutions } from '../../tools/build/stubs.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { answerFiles, chapter, type LedgerAnswers } from '../../specs/02-ledger/chapter.ts';

const solutions = 'solutions/02-ledger';
let reference: LedgerAnswers;

beforeAll(async () => {
  reference = await chapter.loadAnswers(solutions);
  await chapter.prepare?.(); // the server's start-up, once
}, 60_000);

// The server stays up for the next file in this worker (one database start-up per worker, not
// per file); the worker's exit stops it (tools/sql/embedded-server.ts).

const task = (id: string) => chapter.tasks.find((t) => t.id === id)!;

/** The reference answers with one SQL file edited. */
function withSql(key: 'schemaAndPayment' | 'unbalancedQuery' | 'enforcement' | 'refunds', edit: (text: string) => string, base = reference): LedgerAnswers {
  const source = base[key];
  const text = edit(source.text);
  if (text === source.text) throw new Error(`the edit of ${source.name} changed nothing`);
  return { ...base, [key]: { ...source, text } };
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
    await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replaceAll('10000', '100')), /the balances are alice -100 and bob 100 cents: neither is what this step should leave/);
  });
  test('SQL that does not parse fails with the database error and the line', async () => {
    const result = await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('CREATE TABLE accounts', 'CREATE TABEL accounts')), /syntax error/);
    expect(result.message).toMatch(/2\.1-schema-and-payment\.sql:\d+/);
  });
  test('a double precision column that is not money fails with a message about float columns, not about money', async () => {
    const withRate = (s: string) => s.replace('  description text,\n', '  description text,\n  fx_rate     double precision,\n');
    const result = await expectFailure('2.1', withSql('schemaAndPayment', withRate), /column transactions\.fx_rate is double precision: no float columns anywhere/);
    expect(result.message).toMatch(/rates as numeric, money as bigint minor units/);
    expect(result.message).not.toMatch(/store money/);
  });
  test('a column of type money fails with a message about the money type', async () => {
    const withFee = (s: string) => s.replace('  description text,\n', '  description text,\n  fee         money,\n');
    await expectFailure('2.1', withSql('schemaAndPayment', withFee), /column transactions\.fee is of type money, .*: money as bigint minor units/);
  });
  test('a currency CHECK that leaves out JPY fails 2.1 with the contract, not later under 2.2', async () => {
    const noJpy = (s: string) => s.replaceAll("CHECK (currency ~ '^[A-Z]{3}$')", "CHECK (currency IN ('usd', 'eur', 'gbp'))").replaceAll("'USD'", "'usd'");
    const answers = withSql('schemaAndPayment', noJpy);
    const result = await expectFailure('2.1', answers, /the checker's INSERT of .*'jpy'.* was refused by your schema: .*violates check constraint/);
    expect(result.message).toMatch(/USD, EUR and JPY/);
    await expectFailure('2.2', answers, /runs on your 2\.1 schema, which fails/);
  });
  test('entries.transaction_id declared as text on bigint ids fails: the checker’s query could not run, quoting Postgres', async () => {
    const textIds = (s: string) => s.replace('transaction_id bigint NOT NULL REFERENCES transactions (id)', 'transaction_id text NOT NULL');
    const result = await expectFailure('2.1', withSql('schemaAndPayment', textIds), /the checker's query of .* could not run on your schema: operator does not exist: text = bigint \(SQLSTATE 42883\)/);
    expect(result.message).toMatch(/entries\.transaction_id .*type of transactions\.id/);
  });
  test('entries whose currency may differ from their account’s fail: a balance would add dollars to euros', async () => {
    const plainForeignKey = (s: string) =>
      s
        .replace('  account_id     bigint NOT NULL,', '  account_id     bigint NOT NULL REFERENCES accounts (id),')
        .replace(/,\n  -- An entry is in its account's currency[^\n]*\n  FOREIGN KEY \(account_id, currency\) REFERENCES accounts \(id, currency\)/, '');
    await expectFailure('2.1', withSql('schemaAndPayment', plainForeignKey), /an entry in 'EUR' on alice's 'USD' account .* was committed: an entry's currency must be its account's/);
  });
  test('a trigger that checks the entry’s currency against its account’s passes as well as the key’s composite foreign key', async () => {
    const byTrigger = (s: string) =>
      s
        .replace('  account_id     bigint NOT NULL,', '  account_id     bigint NOT NULL REFERENCES accounts (id),')
        .replace(/,\n  -- An entry is in its account's currency[^\n]*\n  FOREIGN KEY \(account_id, currency\) REFERENCES accounts \(id, currency\)/, '')
        .replace(
          'CREATE INDEX entries_by_transaction',
          // A function: in a replacement string `$$` would stand for one `$`.
          () => `CREATE FUNCTION entry_in_account_currency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.currency IS DISTINCT FROM (SELECT currency FROM accounts WHERE id = NEW.account_id) THEN
    RAISE EXCEPTION 'entry currency % is not its account''s', NEW.currency;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entries_in_account_currency BEFORE INSERT OR UPDATE ON entries FOR EACH ROW EXECUTE FUNCTION entry_in_account_currency();
CREATE INDEX entries_by_transaction`,
        );
    const result = await task('2.1').check(withSql('schemaAndPayment', byTrigger));
    expect(result.status, result.message).toBe('pass');
  });
  test('numeric(19,0) holding integer cents passes: numeric is exact', async () => {
    const result = await task('2.1').check(withSql('schemaAndPayment', (s) => s.replace('amount_minor   bigint', 'amount_minor   numeric(19,0)')));
    expect(result.status, result.message).toBe('pass');
  });
  test('numeric(12,2) fails for accepting fractions of a minor unit, not for being inexact', async () => {
    const result = await expectFailure('2.1', withSql('schemaAndPayment', (s) => s.replace('amount_minor   bigint', 'amount_minor   numeric(12,2)')), /numeric\(12,2\): it accepts fractions of a minor unit/);
    expect(result.message).not.toMatch(/integer of cents|round|float/);
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
      /your query returned/,
    );
    expect(result.trace).toContain('another currency');
    expect(result.traceTitle).toBe('a ledger where your query is wrong');
  });
  test('a wrong query is reported with the references the trace lists, not database ids', async () => {
    const result = await expectFailure(
      '2.2',
      withSql('unbalancedQuery', (s) => s.replace('GROUP BY transaction_id, currency', 'GROUP BY transaction_id')),
      /your query returned \[(fuzz_\d+(, )?)*\]: it misses \d+ unbalanced transaction/,
    );
    expect(result.message).not.toMatch(/\[\d/);
  });
  test('a query without a transaction_id column is told which columns it returned, and Postgres is not blamed', async () => {
    const result = await expectFailure(
      '2.2',
      withSql('unbalancedQuery', (s) => s.replace('SELECT DISTINCT transaction_id', 'SELECT DISTINCT transaction_id AS id')),
      /returned the column\(s\) id; it must return a column named transaction_id/,
    );
    expect(result.message).not.toMatch(/Postgres refused/);
  });
  test('a query that returns a transaction once per unbalanced currency fails: one row each', async () => {
    const result = await expectFailure('2.2', withSql('unbalancedQuery', (s) => s.replace('SELECT DISTINCT transaction_id', 'SELECT transaction_id')), /returned .* more than once/);
    expect(result.trace).toContain('another currency');
  });
  test('a query file of two statements fails: the text asks for ONE query', async () => {
    await expectFailure('2.2', withSql('unbalancedQuery', (s) => `SELECT 1 AS warm_up;\n${s}`), /2 statements/);
  });
  test('a query that returns every transaction fails', async () => {
    await expectFailure('2.2', withSql('unbalancedQuery', (s) => s.replace('HAVING SUM(amount_minor) <> 0', '')), /your query returned/);
  });
  test('a query that drops the checker’s tables is refused by Postgres, and the ledger is left whole', async () => {
    await expectFailure('2.2', withSql('unbalancedQuery', (text) => `DROP TABLE entries CASCADE;\n${text}`), /read-only transaction/);
    expect((await task('2.3').check(reference)).status).toBe('pass');
  });

  test('an enforcement checked per row instead of at COMMIT refuses even a balanced payment', async () => {
    await expectFailure('2.2', withSql('enforcement', (s) => s.replace('DEFERRABLE INITIALLY DEFERRED\n', '')), /balanced payment .* refused/);
  });
  test('an enforcement that sums a transaction without grouping by currency lets −2500 USD, +2500 EUR commit', async () => {
    const ignoresCurrency = (s: string) =>
      s.replace('SELECT currency, SUM(amount_minor)', "SELECT 'any' AS currency, SUM(amount_minor)").replace('  GROUP BY currency\n', '');
    await expectFailure('2.2', withSql('enforcement', ignoresCurrency), /USD leg and a EUR leg .* was committed/);
  });
  test('an enforcement that crashes on a typo is not a refusal: the failure quotes Postgres and the rule', async () => {
    const typo = (s: string) => s.replace("NEW.transaction_id, off.currency, off.total", 'NEW.transaction_id, off.currency, NEW.amount');
    const result = await expectFailure('2.2', withSql('enforcement', typo), /could not run on your schema: .*has no field "amount"/);
    expect(result.message).toMatch(/SQLSTATE 42703/);
    expect(result.message).toMatch(/class 23/);
  });
  test('an enforcement that leaves posted entries editable fails: a balanced UPDATE changed them', async () => {
    const editable = (s: string) => s.replace(/CREATE TRIGGER entries_are_append_only[\s\S]*?;\n/, '');
    await expectFailure('2.2', withSql('enforcement', editable), /an UPDATE doubling both entries of the committed payment pay_[0-9a-f]+ \(it stays balanced\) changed the posted entries/);
  });
  test('an enforcement that forbids only UPDATE lets a DELETE of a whole payment through', async () => {
    const updateOnly = (s: string) => s.replace('BEFORE UPDATE OR DELETE ON entries', 'BEFORE UPDATE ON entries');
    await expectFailure('2.2', withSql('enforcement', updateOnly), /a DELETE of both entries .* changed the posted entries/);
  });
  test('a rule that silently ignores UPDATE and DELETE fails: the writer is never told', async () => {
    const silent = (s: string) =>
      s.replace(
        /CREATE TRIGGER entries_are_append_only[\s\S]*?;\n/,
        'CREATE RULE entries_no_update AS ON UPDATE TO entries DO INSTEAD NOTHING;\nCREATE RULE entries_no_delete AS ON DELETE TO entries DO INSTEAD NOTHING;\n',
      );
    await expectFailure('2.2', withSql('enforcement', silent), /reported success without an error/);
  });
  test('immutability by privileges (REVOKE UPDATE, DELETE) passes as well as a trigger', async () => {
    const revoked = (s: string) => s.replace(/CREATE TRIGGER entries_are_append_only[\s\S]*?;\n/, 'REVOKE UPDATE, DELETE, TRUNCATE ON entries FROM PUBLIC, CURRENT_USER;\n');
    const result = await task('2.2').check(withSql('enforcement', revoked));
    expect(result.status, result.message).toBe('pass');
  });
  test('an enforcement that refuses only the checker’s fixed reference names cannot pass: the names are random', async () => {
    const singlesOut = (s: string) => s.replace("WHERE transaction_id = NEW.transaction_id\n  GROUP BY currency", "WHERE transaction_id = NEW.transaction_id\n    AND (SELECT reference FROM transactions WHERE id = NEW.transaction_id) IN ('check_unbalanced', 'check_one_leg', 'check_two_currencies')\n  GROUP BY currency");
    await expectFailure('2.2', withSql('enforcement', singlesOut), /was committed: the database must refuse it/);
  });
  test('no enforcement at all lets an unbalanced transaction commit', async () => {
    await expectFailure('2.2', withSql('enforcement', (s) => s.replace(/CREATE CONSTRAINT TRIGGER[\s\S]*?;\n/, '')), /unbalanced transaction .* was committed/);
  });
});

describe('2.3 refunds', () => {
  test('refund_of declared as text fails on the contract, quoting Postgres, instead of erring in the checker', async () => {
    const textRefundOf = (s: string) =>
      s.replace('refund_of bigint REFERENCES transactions (id)', 'refund_of text').replace('WHERE t.refund_of = original_id', 'WHERE t.refund_of = original_id::text');
    const result = await expectFailure('2.3', withSql('refunds', textRefundOf), /the checker's query of .* could not run on your schema: operator does not exist: text = bigint \(SQLSTATE 42883\)/);
    expect(result.message).toMatch(/refund_of must have the type of transactions\.id \(bigint; yours is text\) and reference it/);
  });
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
  test('refund entries added to the payment’s own transaction are told apart from an UPDATE', async () => {
    const intoThePayment = (s: string) =>
      s.replace(
        /-- step: partial-refund\n-- BEGIN SOLUTION\n[\s\S]*?-- END SOLUTION/,
        `-- step: partial-refund
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, v.amount, 'USD' FROM transactions t, accounts a,
  (VALUES ('bob', -3000), ('alice', 3000)) AS v (name, amount)
WHERE t.reference = 'pay_alice_bob_0001' AND a.name = v.name;`,
      );
    const result = await expectFailure('2.3', withSql('refunds', intoThePayment), /new entries in the payment's own transaction/);
    expect(result.message).toMatch(/a refund is a new transaction linked by refund_of/);
    expect(result.message).not.toMatch(/UPDATE or DELETE/);
  });
  test('an over-refund guard that crashes on a typo is not a refusal: the failure quotes Postgres', async () => {
    const typo = (s: string) => s.replace("more than it moved on account %', original_id, NEW.account_id", "more than it moved on account %', original_id, NEW.amount");
    await expectFailure('2.3', withSql('refunds', typo), /could not run on your schema: .*has no field "amount"/);
  });
  test('a guard that only sums amounts lets a “refund” to a third account through', async () => {
    const noReversalCheck = (s: string) => s.replace(/  -- A refund leg reverses a leg of the original[\s\S]*?END IF;\n/, '');
    await expectFailure('2.3', withSql('refunds', noReversalCheck), /a "refund" of the \$50\.00 payment paid from bob to a third account, carol .* was committed/);
  });
  test('a guard that does not look at the original’s own refund_of lets a refund of a refund through', async () => {
    const refundsOfRefunds = (s: string) => s.replace(/  IF \(SELECT refund_of FROM transactions WHERE id = original_id\) IS NOT NULL THEN[\s\S]*?END IF;\n/, '');
    await expectFailure('2.3', withSql('refunds', refundsOfRefunds), /a refund of your first refund .* was committed/);
  });
  test('a missing step line is a failure naming the line, not an error', async () => {
    const result = await expectFailure('2.3', withSql('refunds', (s) => s.replace('-- step: partial-refund\n', '')), /missing the line "-- step: partial-refund"/);
    expect(result.message).not.toMatch(/\(/);
  });
  test('a schema that lets refunds exceed the payment fails', async () => {
    const noLimit = (s: string) => s.replace(/  -- All refunds together never reverse more[\s\S]*?END IF;\n/, '');
    await expectFailure('2.3', withSql('refunds', noLimit), /one more cent after the full refund .* was committed: the database must refuse it/);
  });
});

describe('2.4 the crash between the INSERTs', () => {
  test('predicting that autocommit keeps the payment whole fails, with the model trace', async () => {
    const hopeful: LedgerAnswers = { ...reference, whatSurvivesACrash: (mode, point) => (point === 'before the first INSERT' ? 'nothing' : 'both entries') };
    const result = await expectFailure('2.4', hopeful, /autocommit, crash after the first INSERT/);
    // Neither the message nor the visible trace holds the value to predict; the reveal part does.
    expect(result.message).not.toMatch(/Alice's debit only|both entries|nothing/);
    expect(result.trace).toContain('then the process crashes');
    expect(result.reveal).toContain('the process crashes');
    expect(result.reveal!.length).toBeGreaterThan(result.trace!.length - 60);
    expect(result.trace).toContain('Alice pays Bob $100.00');
    expect(result.trace).not.toMatch(/\bPAY\b/);
  });
  test('an answer that is not one of the Survivors is a wrong shape that lists them', async () => {
    const misspelt: LedgerAnswers = { ...reference, whatSurvivesACrash: () => 'Alice only' as never };
    await expect(Promise.resolve().then(() => task('2.4').check(misspelt))).rejects.toThrow(WrongShape);
    await expect(Promise.resolve().then(() => task('2.4').check(misspelt))).rejects.toThrow(/"Alice only"; expected one of "nothing"/);
  });
  test('an async answer is a wrong shape that says to drop the async', async () => {
    const promised: LedgerAnswers = { ...reference, whatSurvivesACrash: (async () => 'nothing') as never };
    await expect(Promise.resolve().then(() => task('2.4').check(promised))).rejects.toThrow(/returned a Promise/);
  });
});

describe('valid schemas other than the key’s', () => {
  // Every id a uuid filled in by Postgres: the checker must never paste an id into its SQL.
  const uuidIds = (s: string) =>
    s
      .replaceAll('bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY', 'uuid PRIMARY KEY DEFAULT gen_random_uuid()')
      .replace('transaction_id bigint NOT NULL', 'transaction_id uuid NOT NULL')
      .replace('account_id     bigint NOT NULL', 'account_id     uuid NOT NULL');
  const uuidRefunds = (s: string) => s.replaceAll(' bigint', ' uuid');

  test('a schema with uuid ids passes 2.1, 2.2 and 2.3', { timeout: 30_000 }, async () => {
    const answers = withSql('refunds', uuidRefunds, withSql('schemaAndPayment', uuidIds));
    for (const id of ['2.1', '2.2', '2.3']) {
      const result = await task(id).check(answers);
      expect(result.status, `${id}: ${result.message}`).toBe('pass');
    }
  });

  test('lower-case currency codes, Stripe’s style, pass 2.2 and 2.3', { timeout: 30_000 }, async () => {
    const lowerCase = (s: string) => s.replaceAll("CHECK (currency ~ '^[A-Z]{3}$')", 'CHECK (currency = lower(currency))').replaceAll("'USD'", "'usd'");
    const answers = withSql('refunds', (s) => s.replaceAll("'USD'", "'usd'"), withSql('schemaAndPayment', lowerCase));
    for (const id of ['2.1', '2.2', '2.3']) {
      const result = await task(id).check(answers);
      expect(result.status, `${id}: ${result.message}`).toBe('pass');
    }
  });

  test('a schema that accepts only USD makes the checker’s EUR INSERT fail under 2.1, and the message says it was the checker’s', async () => {
    const usdOnly = (s: string) => s.replaceAll("CHECK (currency ~ '^[A-Z]{3}$')", "CHECK (currency = 'USD')");
    const result = await expectFailure('2.1', withSql('schemaAndPayment', usdOnly), /the checker's INSERT .*was refused by your schema/);
    expect(result.message).toMatch(/violates check constraint/);
  });
});

describe('a broken 2.1 is reported once, under 2.1', () => {
  test('2.2 and 2.3 say in one line that they run on the failing 2.1 schema', async () => {
    const floatMoney = withSql('schemaAndPayment', (s) => s.replace('amount_minor   bigint', 'amount_minor   double precision'));
    for (const id of ['2.2', '2.3']) {
      const result = await expectFailure(id, floatMoney, /runs on your 2\.1 schema, which fails: fix 2\.1 first/);
      expect(result.message).not.toMatch(/double precision/);
    }
  });
});

describe('unanswered stubs', () => {
  /** The reference answers with the given SQL files replaced by their generated stubs. */
  async function withStubs(keys: readonly ('schemaAndPayment' | 'unbalancedQuery' | 'enforcement' | 'refunds')[]): Promise<LedgerAnswers> {
    const answers: LedgerAnswers = { ...reference };
    for (const key of keys) {
      const text = await readFile(`${solutions}/${answerFiles[key]}`, 'utf8');
      answers[key] = { name: answerFiles[key], text: stripSolutions(text, 'sql') };
    }
    return answers;
  }

  test('every task of the generated stubs is reported as not answered', async () => {
    const stubs = await withStubs(['schemaAndPayment', 'unbalancedQuery', 'enforcement', 'refunds']);
    stubs.whatSurvivesACrash = () => {
      throw new Error(`TODO: ${NOT_ANSWERED}`);
    };
    for (const t of chapter.tasks) {
      const report = await runTask(chapter, t, stubs);
      expect(report.status, `${t.id}: ${report.message}`).toBe('todo');
    }
  });

  test('2.2 with only its enforcement unanswered names that file alone in its TODO', async () => {
    const report = await runTask(chapter, task('2.2'), await withStubs(['enforcement']));
    expect(report.status).toBe('todo');
    expect(report.message).toBe(`${NOT_ANSWERED}: edit 02-ledger/${answerFiles.enforcement}`);
  });

  test('2.2 with only its query unanswered names that file alone in its TODO', async () => {
    const report = await runTask(chapter, task('2.2'), await withStubs(['unbalancedQuery']));
    expect(report.status).toBe('todo');
    expect(report.message).toBe(`${NOT_ANSWERED}: edit 02-ledger/${answerFiles.unbalancedQuery}`);
  });
});

describe('the chapter text', () => {
  test('names the watch command with its chapter and the constraints the checks rely on', async () => {
    const text = await readFile('exercises/02-ledger/README.md', 'utf8');
    expect(text).toContain('npm run watch -- 2');
    expect(text).not.toMatch(/npm run watch\s*#/);
    expect(text).toMatch(/currency/i);
    expect(text).toMatch(/SQLSTATE class 23|RAISE EXCEPTION/);
  });
});
