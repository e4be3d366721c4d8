/** Task 2.1: the schema and the rows of the payment. */
import { fail, pass, type CheckResult } from '../../tools/grading/task.ts';
import { withScratchDatabase, type Database } from '../../tools/sql/database.ts';
import { answeredSql, expectRefusal, runScript } from '../../tools/sql/script.ts';
import type { LedgerAnswers } from './answer-files.ts';
import { currencies } from './random-ledgers.ts';
import { answerFigures } from './scenario.ts';
import { failOnSqlError, balancesWrong, unbalancedTransactions, columnsOf, checkerReads, checkerWrites, currencySpelling, literal, refusal } from './sql-checks.ts';

export const contract: Record<string, string[]> = {
  accounts: ['id', 'name', 'currency'],
  transactions: ['id', 'reference'],
  entries: ['id', 'transaction_id', 'account_id', 'amount_minor', 'currency'],
};

export async function checkSchemaAndPayment(answers: LedgerAnswers): Promise<CheckResult> {
  const source = answeredSql(answers.schemaAndPayment);
  return withScratchDatabase('2.1', ({ db }) =>
    failOnSqlError('2.1', async () => {
      await runScript(db, source);
      const columns = await columnsOf(db);
      const has = (table: string, column: string) => columns.some((c) => c.table_name === table && c.column_name === column);
      for (const [table, names] of Object.entries(contract)) {
        const missing = names.filter((name) => !has(table, name));
        if (missing.length > 0) return fail(`2.1: table ${table} needs the column(s) ${missing.join(', ')} (the checker reads them)`);
      }
      // No float anywhere, not only in amounts: a rate or a fee computed in float8 rounds
      // the money derived from it. The message names what it found, money or not.
      const floating = columns.find((c) => ['real', 'double precision'].includes(c.data_type));
      if (floating) {
        return fail(`2.1: column ${floating.table_name}.${floating.column_name} is ${floating.data_type}: no float columns anywhere — rates as numeric, money as bigint minor units`);
      }
      const moneyType = columns.find((c) => c.data_type === 'money');
      if (moneyType) {
        return fail(`2.1: column ${moneyType.table_name}.${moneyType.column_name} is of type money, whose decimals follow the server's lc_monetary and which records no currency: money as bigint minor units`);
      }
      const amountWrong = await amountTypeWrong(db);
      if (amountWrong) return fail(`2.1: entries.amount_minor is ${amountWrong}`);
      if (!columns.some((c) => ['transactions', 'entries'].includes(c.table_name) && c.data_type.startsWith('timestamp'))) {
        return fail('2.1: record when a transaction or entry was written: add a timestamptz column (DEFAULT now())');
      }
      await acceptsEveryCurrency(db);
      const mixed = await refusesAForeignCurrencyEntry(db);
      if (mixed) return fail(`2.1: ${mixed}`);
      const wrongBalances = await balancesWrong(db, -answerFigures.paymentMinor, answerFigures.paymentMinor);
      if (wrongBalances) return fail(`2.1: after the payment, ${wrongBalances}`);
      const transactions = await checkerReads<{ id: unknown; entries: bigint }>(
        db,
        'the entries of each transaction (entries.transaction_id = transactions.id)',
        `SELECT t.id, (SELECT count(*) FROM entries e WHERE e.transaction_id = t.id)::bigint AS entries FROM transactions t`,
      );
      if (transactions.length !== 1) return fail(`2.1: expected the payment as one transaction, found ${transactions.length}`);
      if (transactions[0]!.entries < 2n) return fail('2.1: the payment needs a debit entry and a credit entry');
      if ((await unbalancedTransactions(db)).length > 0) return fail("2.1: the payment's entries do not sum to zero in each currency");
      const duplicate = await expectRefusal(db, `INSERT INTO transactions (reference) SELECT reference FROM transactions LIMIT 1`);
      if (duplicate?.code !== '23505') {
        return fail(
          duplicate
            ? `2.1: a duplicate reference was refused, but not as a unique violation: ${duplicate.databaseMessage}`
            : '2.1: a second transaction with the same reference was accepted: make reference UNIQUE, so a retry cannot post twice',
        );
      }
      const stored = columns.find((c) => c.table_name === 'accounts' && c.column_name.includes('balance'));
      if (stored) {
        const column = `"${stored.column_name.replaceAll('"', '""')}"`;
        const rows = await checkerReads<{ name: string; stored: unknown; derived: bigint }>(
          db,
          `accounts.${stored.column_name} against the sum of each account's entries`,
          `SELECT a.name, a.${column} AS stored, COALESCE(SUM(e.amount_minor), 0)::bigint AS derived
           FROM accounts a LEFT JOIN entries e ON e.account_id = a.id GROUP BY a.name, a.${column}`,
        );
        const off = rows.find((r) => String(r.stored) !== String(r.derived));
        // What disagrees, not the figure that would agree: the sum is the student's to compute.
        if (off) return fail(`2.1: accounts.${stored.column_name} of ${off.name} is ${String(off.stored)}, which is not the sum of its entries: a stored balance must follow every entry`);
      }
      return pass(`Alice −${answerFigures.paymentMinor} and Bob +${answerFigures.paymentMinor} cents, derived from entries that sum to zero; bigint minor units; reference unique`);
    }),
  );
}

/**
 * The later checks write accounts and entries in USD, EUR and JPY (in the case of Alice's
 * account): a schema that refuses one of them fails here, under 2.1, rather than later under
 * a task that is not about currencies. Written in a transaction that is rolled back, so the
 * payment's ledger is left as the student wrote it (a deferred balance check never runs).
 */
async function acceptsEveryCurrency(db: Database): Promise<void> {
  const spell = await currencySpelling(db);
  const codes = currencies.map(spell);
  const legs = codes.flatMap((code) => [-1, 1].map((amount) => `(${literal(`check_${code}`)}, ${amount}, ${literal(code)})`));
  await checkerWrites(
    db,
    `an account and two entries (−1, +1) in each of ${codes.map(literal).join(', ')}`,
    `BEGIN;
     INSERT INTO accounts (name, currency) VALUES ${codes.map((code) => `(${literal(`check_${code}`)}, ${literal(code)})`).join(', ')};
     INSERT INTO transactions (reference) VALUES ('check_currencies');
     INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
       SELECT t.id, a.id, v.amount_minor, v.currency
       FROM (VALUES ${legs.join(', ')}) AS v (account, amount_minor, currency)
       JOIN accounts a ON a.name = v.account, transactions t
       WHERE t.reference = 'check_currencies';
     ROLLBACK;`,
  );
}

/**
 * What is wrong with the type of entries.amount_minor, or null. Integer minor units must be
 * exact and whole: bigint, or numeric with scale 0 (`numeric(19,0)`: exact too, and wider).
 * int4 overflows past $21,474,836.47; a numeric with decimals accepts fractions of a minor unit.
 */
async function amountTypeWrong(db: Database): Promise<string | null> {
  const [column] = await db.query<{ data_type: string; numeric_scale: number | null; numeric_precision: number | null }>(
    `SELECT data_type, numeric_scale, numeric_precision FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'entries' AND column_name = 'amount_minor'`,
  );
  const { data_type: type, numeric_scale: scale, numeric_precision: precision } = column!;
  if (type === 'bigint') return null;
  if (type === 'numeric' && scale === 0) return precision !== null && precision < 10 ? `numeric(${precision},0): too narrow for a large payment in minor units` : null;
  if (type === 'integer' || type === 'smallint') return `${type}: it overflows on payments a ledger must hold (int4 stops at 2,147,483,647 minor units)`;
  if (type === 'numeric') return `numeric${scale === null ? ' with no scale' : `(${precision},${scale})`}: it accepts fractions of a minor unit`;
  return `${type}: not an exact whole number of minor units`;
}

/**
 * An entry in another currency than its account's must be refused: else a balance mixes
 * dollars and euros. The checker writes a pair balanced in EUR, one leg of it on Alice's USD
 * account, so that only the currency mismatch can refuse it.
 */
async function refusesAForeignCurrencyEntry(db: Database): Promise<string | null> {
  const spell = await currencySpelling(db);
  const [usd, eur] = [spell('USD'), spell('EUR')];
  const what = `an entry in ${literal(eur)} on alice's ${literal(usd)} account (alice −100 ${eur}, check_eur +100 ${eur})`;
  const refused = await refusal(
    db,
    what,
    `BEGIN;
     INSERT INTO accounts (name, currency) VALUES ('check_eur', ${literal(eur)});
     INSERT INTO transactions (reference) VALUES ('check_currency_mismatch');
     INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
       SELECT t.id, a.id, v.amount_minor, ${literal(eur)}
       FROM (VALUES ('alice', -100), ('check_eur', 100)) AS v (account, amount_minor)
       JOIN accounts a ON a.name = v.account, transactions t
       WHERE t.reference = 'check_currency_mismatch';
     COMMIT;`,
  );
  return refused ? null : `${what} was committed: an entry's currency must be its account's`;
}
