/** Task 2.3: refunds as new reversal entries, never changes to the payment. */
import { fail, pass, type CheckResult } from '../../tools/grading/task.ts';
import { unpredictableName, withScratchDatabase, type Database, type ScratchDatabase } from '../../tools/sql/database.ts';
import { answeredSql, MissingStep, runScript, splitSteps, type SqlSource } from '../../tools/sql/script.ts';
import { refundSteps } from './answer-files.ts';
import type { LedgerAnswers } from './answer-files.ts';
import { checkerReads, checkerWrites, refusal, failOnSqlError, balancesWrong, unbalancedTransactions, currencySpelling, ledgerTransaction, describeLegs, whenTheSchemaFails, columnsOf, literal } from './sql-checks.ts';
import type { Leg } from './sql-checks.ts';
import { checkConcurrentRefunds, type RaceScenario } from './check-concurrent-refunds.ts';
import { answerFigures, dollars, ledgerScenario } from './scenario.ts';

/** The payment's rows, one JSON text per row, in the columns it had before any refund. */
export async function rowsAsText(db: Database, table: 'transactions' | 'entries', reference: string, columns: readonly string[]): Promise<string[]> {
  const rows = await checkerReads<{ row: Record<string, unknown> }>(
    db,
    `the payment's ${table} rows`,
    table === 'transactions'
      ? `SELECT to_jsonb(x) AS row FROM transactions x WHERE x.reference = $1 ORDER BY x.id`
      : `SELECT to_jsonb(x) AS row FROM entries x JOIN transactions t ON t.id = x.transaction_id WHERE t.reference = $1 ORDER BY x.id`,
    [reference],
  );
  return rows.map((r) => JSON.stringify(columns.map((c) => r.row[c])));
}

export interface PaymentRows {
  transaction: string[];
  entries: string[];
}

/**
 * LEDGER-3 on Postgres: after a step, the payment's rows must be as they were. Two ways to
 * break it, told apart because their fixes differ: rows changed or gone (an UPDATE or DELETE),
 * or new entries written into the payment's own transaction (a refund needs its own).
 */
export function paymentTouched(original: PaymentRows, now: PaymentRows, step: string): CheckResult | null {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((row, i) => row === b[i]);
  if (same(original.transaction, now.transaction) && same(original.entries, now.entries)) return null;
  const kept = same(original.transaction, now.transaction) && original.entries.every((row) => now.entries.includes(row));
  if (kept) {
    const added = now.entries.length - original.entries.length;
    return fail(
      `2.3: after ${step}, ${added} new entries in the payment's own transaction: a refund is a new transaction linked by refund_of, with entries of its own`,
    );
  }
  return fail(`2.3: the payment's rows changed after ${step}: refund with new reversal entries, never UPDATE or DELETE`);
}

/** The refunds file's steps; a missing `-- step:` line is a failure of the file's shape. */
export function refundStepsOf(refunds: SqlSource): Record<(typeof refundSteps)[number], SqlSource> | CheckResult {
  try {
    return splitSteps(refunds, refundSteps);
  } catch (error) {
    if (error instanceof MissingStep) return fail(`2.3: ${error.message}`);
    throw error;
  }
}

export async function checkRefunds(answers: LedgerAnswers): Promise<CheckResult> {
  const steps = refundStepsOf(answeredSql(answers.refunds));
  if ('status' in steps) return steps;
  for (const step of refundSteps) answeredSql(steps[step]);
  const schemaFails = await whenTheSchemaFails('2.3', answers);
  if (schemaFails) return schemaFails;
  const sequential = await withScratchDatabase('2.3', ({ db }) =>
    failOnSqlError('2.3', async () => {
      await runScript(db, answers.schemaAndPayment);
      const [payment] = await db.query<{ reference: string }>(`SELECT reference FROM transactions`);
      if (!payment) return fail('2.3: your 2.1 file wrote no payment to refund');
      const usd = (await currencySpelling(db))('USD');
      const columnNames = async (table: string) =>
        (await columnsOf(db)).filter((c) => c.table_name === table).map((c) => c.column_name);
      const originalColumns = { transactions: await columnNames('transactions'), entries: await columnNames('entries') };
      const paymentRows = async (): Promise<PaymentRows> => ({
        transaction: await rowsAsText(db, 'transactions', payment.reference, originalColumns.transactions),
        entries: await rowsAsText(db, 'entries', payment.reference, originalColumns.entries),
      });
      const original = await paymentRows();

      await runScript(db, steps['refund-schema']);
      if (!(await columnNames('transactions')).includes('refund_of')) return fail('2.3: add transactions.refund_of, the id of the refunded transaction');
      // Said when the checker's query on refund_of cannot run (`text = uuid`): the types found.
      const typeOf = async (column: string) => (await columnsOf(db)).find((c) => c.table_name === 'transactions' && c.column_name === column)?.data_type;
      const refundOfContract = `The schema contract (exercises/02-ledger/README.md): transactions.refund_of must have the type of transactions.id (${await typeOf('id')}; yours is ${await typeOf('refund_of')}) and reference it.`;

      const rest = answerFigures.paymentMinor - answerFigures.partialRefundMinor;
      const expectations: [(typeof refundSteps)[number], number, number][] = [
        ['partial-refund', -rest, rest],
        ['refund-the-rest', 0, 0],
      ];
      for (const [step, alice, bob] of expectations) {
        await runScript(db, steps[step]);
        const touched = paymentTouched(original, await paymentRows(), step);
        if (touched) return touched;
        const wrong = await balancesWrong(db, alice, bob);
        if (wrong) return fail(`2.3: after ${step}, ${wrong}`);
      }
      const refunds = await checkerReads<{ reference: string }>(
        db,
        'the refunds of the payment (refund_of = the payment\'s id)',
        `SELECT reference FROM transactions WHERE refund_of = (SELECT id FROM transactions WHERE reference = $1)`,
        [payment.reference],
        refundOfContract,
      );
      if (refunds.length !== 2) return fail(`2.3: expected two refund transactions with refund_of = the payment, found ${refunds.length}`);
      const unbalanced = await unbalancedTransactions(db);
      if (unbalanced.length > 0) return fail(`2.3: refund transaction(s) ${unbalanced.join(', ')} do not sum to zero`);

      // A second payment, to see that the limit is the original's amount, not "refunded once".
      const second = unpredictableName('pay');
      const { secondPaymentMinor: fifty, overRefundExcessMinor: excess } = ledgerScenario;
      const [$fifty, $sixty, $ten] = [dollars(fifty), dollars(fifty + excess), dollars(excess)];
      const secondLegs: Leg[] = [['alice', -fifty, usd], ['bob', fifty, usd]];
      await checkerWrites(db, `a ${$fifty} payment (${describeLegs(secondLegs)})`, ledgerTransaction(second, secondLegs));
      await checkerWrites(db, `an account carol in ${usd}`, `INSERT INTO accounts (name, currency) VALUES ('carol', ${literal(usd)})`);
      const [firstRefund] = refunds;
      const wrongRefunds: [string, Leg[], string][] = [
        [`a refund of one more cent after the full refund`, [['bob', -1, usd], ['alice', 1, usd]], payment.reference],
        [`a ${$sixty} refund of a ${$fifty} payment`, [['bob', -(fifty + excess), usd], ['alice', fifty + excess, usd]], second],
        [`a "refund" of the ${$fifty} payment paid from bob to a third account, carol`, [['bob', -excess, usd], ['carol', excess, usd]], second],
        [`a "refund" of the ${$fifty} payment in the payment's own direction`, [['alice', -excess, usd], ['bob', excess, usd]], second],
        [`a refund of your first refund (it reverses that refund's legs)`, [['alice', -excess, usd], ['bob', excess, usd]], firstRefund!.reference],
      ];
      for (const [what, legs, original] of wrongRefunds) {
        const described = `${what} (${describeLegs(legs)})`;
        if ((await refusal(db, described, ledgerTransaction(unpredictableName('refund'), legs, original))) === null) {
          return fail(`2.3: ${described} was committed: the database must refuse it`);
        }
      }
      const exactLegs: Leg[] = [['bob', -fifty, usd], ['alice', fifty, usd]];
      const exact = await refusal(db, `a full ${$fifty} refund of a ${$fifty} payment (${describeLegs(exactLegs)})`, ledgerTransaction(unpredictableName('refund'), exactLegs, second));
      if (exact) return fail(`2.3: a full ${$fifty} refund of a ${$fifty} payment was refused: ${exact.databaseMessage}`);
      return pass('partial and full refunds restore the balances; the payment rows are untouched; over-refunds refused by Postgres');
    }),
  );
  if (sequential.status !== 'pass') return sequential;
  const concurrent = await withScratchDatabase('2.3c', (scratch) =>
    failOnSqlError('2.3', async () => (await refundsInARace(scratch, answers, steps['refund-schema'])) ?? pass('no race went wrong')),
  );
  if (concurrent.status !== 'pass') return concurrent;
  return pass(
    'partial and full refunds restore the balances; the payment rows are untouched; over-refunds, refunds that are no reversal and refunds of refunds refused; concurrent refunds never exceed the payment, at READ COMMITTED and REPEATABLE READ',
  );
}

/** The student's schema and refund guard, then refunds at once on several sessions. */
async function refundsInARace(scratch: ScratchDatabase, answers: LedgerAnswers, refundSchema: SqlSource, races?: readonly RaceScenario[], levels?: readonly string[]): Promise<CheckResult | null> {
  await runScript(scratch.db, answers.schemaAndPayment);
  await runScript(scratch.db, refundSchema);
  const usd = (await currencySpelling(scratch.db))('USD');
  return checkConcurrentRefunds(scratch, usd, races, levels);
}

/** Only the races (the hidden checks' other amounts and session counts), on the student's schema. */
export async function checkRefundRaces(answers: LedgerAnswers, races: readonly RaceScenario[], levels: readonly string[]): Promise<CheckResult> {
  const steps = refundStepsOf(answeredSql(answers.refunds));
  if ('status' in steps) return steps;
  const schemaFails = await whenTheSchemaFails('2.3', answers);
  if (schemaFails) return schemaFails;
  return withScratchDatabase('2.3c', (scratch) =>
    failOnSqlError('2.3', async () => (await refundsInARace(scratch, answers, steps['refund-schema'], races, levels)) ?? pass(`${races.length} races at ${levels.join(', ')}`)),
  );
}
