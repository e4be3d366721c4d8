/** Task 2.1: the schema and the rows of the payment. */
import { fail, pass, type CheckResult } from '../../tools/grading/task.ts';
import { sharedDatabase } from '../../tools/sql/database.ts';
import { withScratchSchema } from '../../tools/sql/scratch.ts';
import { answeredSql, expectRefusal, runScript } from '../../tools/sql/script.ts';
import type { LedgerAnswers } from './answer-files.ts';
import { failOnSqlError, balancesWrong, unbalancedTransactions, columnsOf } from './sql-checks.ts';

export const contract: Record<string, string[]> = {
  accounts: ['id', 'name', 'currency'],
  transactions: ['id', 'reference'],
  entries: ['id', 'transaction_id', 'account_id', 'amount_minor', 'currency'],
};

export async function checkSchemaAndPayment(answers: LedgerAnswers): Promise<CheckResult> {
  const source = answeredSql(answers.schemaAndPayment);
  const db = await sharedDatabase();
  return withScratchSchema(db, '2.1', () =>
    failOnSqlError('2.1', async () => {
      await runScript(db, source);
      const columns = await columnsOf(db);
      const has = (table: string, column: string) => columns.some((c) => c.table_name === table && c.column_name === column);
      for (const [table, names] of Object.entries(contract)) {
        const missing = names.filter((name) => !has(table, name));
        if (missing.length > 0) return fail(`2.1: table ${table} needs the column(s) ${missing.join(', ')} (the checker reads them)`);
      }
      const floating = columns.find((c) => ['real', 'double precision', 'money'].includes(c.data_type));
      if (floating) {
        return fail(`2.1: ${floating.table_name}.${floating.column_name} is ${floating.data_type}: store money as integer minor units (bigint cents)`);
      }
      const amountType = columns.find((c) => c.table_name === 'entries' && c.column_name === 'amount_minor')!.data_type;
      if (amountType !== 'bigint') {
        const why = amountType === 'integer' ? 'integer overflows past $21,474,836.47' : 'it is not an integer of cents';
        return fail(`2.1: entries.amount_minor is ${amountType}; use bigint (${why})`);
      }
      if (!columns.some((c) => ['transactions', 'entries'].includes(c.table_name) && c.data_type.startsWith('timestamp'))) {
        return fail('2.1: record when a transaction or entry was written: add a timestamptz column (DEFAULT now())');
      }
      const wrongBalances = await balancesWrong(db, -10_000, 10_000);
      if (wrongBalances) return fail(`2.1: after the payment, ${wrongBalances}`);
      const transactions = await db.query<{ id: unknown; entries: bigint }>(
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
        const rows = await db.query<{ name: string; stored: unknown; derived: bigint }>(
          `SELECT a.name, a.${column} AS stored, COALESCE(SUM(e.amount_minor), 0)::bigint AS derived
           FROM accounts a LEFT JOIN entries e ON e.account_id = a.id GROUP BY a.name, a.${column}`,
        );
        const off = rows.find((r) => String(r.stored) !== String(r.derived));
        if (off) return fail(`2.1: accounts.${stored.column_name} of ${off.name} is ${String(off.stored)} but its entries sum to ${off.derived}`);
      }
      return pass('Alice −10000 and Bob +10000 cents, derived from entries that sum to zero; bigint minor units; reference unique');
    }),
  );
}
