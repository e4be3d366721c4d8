/**
 * Chapter 2: the double-entry ledger. Alice pays Bob $100.00.
 *
 * Every answer is SQL that really runs, on one Postgres shared by the chapter's checks
 * (embedded PGlite, or the server in DATABASE_URL). Each check works in a fresh schema of
 * its own, so a broken answer to one task never spoils the next; the student's 2.1 schema is
 * the ground every later task runs on.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { explore } from '../../tools/explore/explore.ts';
import { describedAs, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { fail, isNotAnswered, pass, type Chapter, type CheckResult, type Task } from '../../tools/grading/task.ts';
import { closeSharedDatabase, sharedDatabase, type Database, type StatementResult } from '../../tools/sql/database.ts';
import { withScratchSchema } from '../../tools/sql/scratch.ts';
import {
  answeredSql,
  databaseError,
  expectRefusal,
  MissingStep,
  runScript,
  splitSteps,
  SqlScriptError,
  type SqlSource,
} from '../../tools/sql/script.ts';
import { candidateEvents, createLedgerWriteModel, scenarioConfig } from '../../models/ledger-write/machine.ts';
import { crashPoints, crashThePayment, everySurvivors, formatWriteTrace, writeModes, type CrashPoint, type Survivors } from './crash-points.ts';
import { ledgerInvariants, ledgerStepProperties } from './invariants.ts';
import { currencies, describeLedger, fuzzAccounts, randomLedger, type Currency, type RandomTransaction } from './random-ledgers.ts';
import type { WriteMode } from '../../models/ledger-write/machine.ts';

export interface LedgerAnswers {
  /** 2.1: the schema, the accounts and Alice's payment. */
  schemaAndPayment: SqlSource;
  /** 2.2 (a): one query returning the unbalanced transactions' ids. */
  unbalancedQuery: SqlSource;
  /** 2.2 (b): what makes Postgres refuse an unbalanced COMMIT. */
  enforcement: SqlSource;
  /** 2.3: refund schema, a partial refund, the rest of the refund (`-- step:` sections). */
  refunds: SqlSource;
  /** 2.4: what survives a crash, per mode and crash point. */
  whatSurvivesACrash: (mode: WriteMode, crashPoint: CrashPoint) => Survivors;
}

/** The files of a chapter folder, one per answer. */
export const answerFiles = {
  schemaAndPayment: '2.1-schema-and-payment.sql',
  unbalancedQuery: '2.2-unbalanced-query.sql',
  enforcement: '2.2-enforcement.sql',
  refunds: '2.3-refunds.sql',
  prediction: 'answers.ts',
} as const;

/** The steps of the refunds file, in the order they run. */
export const refundSteps = ['refund-schema', 'partial-refund', 'refund-the-rest'] as const;

/** Fixed, so that a failure is reproducible and the key's figures do not change between builds. */
export const ledgerPropertySeed = 20_26;
export const ledgerPropertyRuns = 500;

// ── Helpers shared by the checks ──

/** A value the checker writes into its SQL, as a quoted literal: Postgres casts it to the column's type. */
const literal = (value: string | number) => `'${String(value).replaceAll("'", "''")}'`;

/**
 * The errors by which a database refuses a write on purpose: an integrity constraint
 * (SQLSTATE class 23: unique, foreign key, check, exclusion…), `RAISE EXCEPTION` (P0001) and a
 * PL/pgSQL `ASSERT` (P0004). Anything else (a syntax error, an unknown column, bad data) means
 * a statement could not run at all, which proves nothing about the student's enforcement.
 */
export const isEnforcement = (code: string | undefined): boolean => code !== undefined && (code.startsWith('23') || code === 'P0001' || code === 'P0004');

/** What the checker's own INSERTs rely on: the schema contract of the chapter's README. */
const contractReminder =
  'The schema contract (exercises/02-ledger/README.md): the checker INSERTs accounts (name, currency), transactions (reference, and refund_of from 2.3) and entries (transaction_id, account_id, amount_minor, currency) giving no other column, with the ISO codes USD, EUR and JPY in the case your accounts use.';

/**
 * One of the checker's own statements failed on the student's schema: reported as a FAIL that
 * says whose statement it was, quoting Postgres, never as the student's enforcement at work.
 */
class CheckerStatementFailed extends Error {
  constructor(
    readonly what: string,
    readonly refused: SqlScriptError,
  ) {
    super(`the checker's INSERT of ${what} failed: ${refused.databaseMessage}`);
  }

  report(task: string): CheckResult {
    const { databaseMessage, code } = this.refused;
    const said = `${databaseMessage}${code ? ` (SQLSTATE ${code})` : ''}`;
    return isEnforcement(code)
      ? fail(`${task}: the checker's INSERT of ${this.what} was refused by your schema: ${said}. ${contractReminder}`)
      : fail(
          `${task}: the checker's INSERT of ${this.what} could not run on your schema: ${said}. Only a constraint violation (SQLSTATE class 23) or a RAISE EXCEPTION counts as refusing a write. ${contractReminder}`,
        );
  }
}

/** Postgres's error for one of the checker's statements, or the error itself if it is not Postgres's. */
function asDatabaseError(error: unknown): SqlScriptError {
  const refused = databaseError(error, 'the checker');
  if (refused instanceof SqlScriptError) return refused;
  throw error;
}

/** Run one of the checker's scripts that must succeed; any error is a `CheckerStatementFailed`. */
async function checkerWrites(db: Database, what: string, script: string): Promise<StatementResult[]> {
  try {
    return await db.exec(script);
  } catch (error) {
    const refused = asDatabaseError(error);
    await db.exec('ROLLBACK');
    throw new CheckerStatementFailed(what, refused);
  }
}

/**
 * Run a script the database should refuse: its refusal, or null if it committed. An error that
 * is not an enforcement (see `isEnforcement`) is a `CheckerStatementFailed`, not a refusal.
 */
async function refusal(db: Database, what: string, script: string): Promise<SqlScriptError | null> {
  try {
    await db.exec(script);
    return null;
  } catch (error) {
    const refused = asDatabaseError(error);
    await db.exec('ROLLBACK');
    if (isEnforcement(refused.code)) return refused;
    throw new CheckerStatementFailed(what, refused);
  }
}

/** A database refusal in the student's SQL is the student's failure, not the checker's error. */
async function failOnSqlError(task: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof CheckerStatementFailed) return error.report(task);
    if (error instanceof SqlScriptError) return fail(`${task}: Postgres refused ${error.message}`);
    throw error;
  }
}

/** Balance of each named account: the sum of its entries (int8 sums come back as bigint). */
async function balances(db: Database): Promise<Map<string, bigint>> {
  const rows = await db.query<{ name: string; balance: bigint }>(
    `SELECT a.name, COALESCE(SUM(e.amount_minor), 0)::bigint AS balance
     FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
     GROUP BY a.name`,
  );
  return new Map(rows.map((r) => [r.name, r.balance]));
}

/** `null` when Alice and Bob hold the expected balances, else what is wrong. */
async function balancesWrong(db: Database, alice: number, bob: number): Promise<string | null> {
  const found = await balances(db);
  const show = (name: string) => (found.has(name) ? String(found.get(name)) : 'no such account');
  if (found.get('alice') === BigInt(alice) && found.get('bob') === BigInt(bob)) return null;
  return `expected alice ${alice} and bob ${bob} cents, found alice ${show('alice')} and bob ${show('bob')}`;
}

/** References of the transactions whose entries do not sum to zero in some currency (ids are the schema's, references are what a student reads). */
async function unbalancedTransactions(db: Database): Promise<string[]> {
  const rows = await db.query<{ reference: string }>(
    `SELECT DISTINCT t.reference FROM entries e JOIN transactions t ON t.id = e.transaction_id
     GROUP BY t.reference, e.currency HAVING SUM(e.amount_minor) <> 0 ORDER BY t.reference`,
  );
  return rows.map((r) => r.reference);
}

/**
 * Currency codes spelled as the student's schema spells them: the case of Alice's account
 * (Stripe writes 'usd', ISO 4217 'USD'; both are fine, mixing them is not).
 */
async function currencySpelling(db: Database): Promise<(code: Currency) => string> {
  const [alice] = await db.query<{ currency: string }>(`SELECT currency FROM accounts WHERE name = 'alice'`);
  const sample = String(alice?.currency ?? 'USD').trim();
  const lowerCase = sample === sample.toLowerCase() && sample !== sample.toUpperCase();
  return (code) => (lowerCase ? code.toLowerCase() : code);
}

type Leg = [account: string, amountMinor: number, currency: string];

/**
 * The checker's own ledger transaction, as a script: one INSERT per leg, inside BEGIN … COMMIT.
 * A refund names its original by reference, so that no id of the student's schema (bigint,
 * uuid, text…) is ever pasted into the SQL.
 */
function ledgerTransaction(reference: string, legs: readonly Leg[], refundOfReference?: string): string {
  const header =
    refundOfReference === undefined
      ? `INSERT INTO transactions (reference) VALUES (${literal(reference)});`
      : `INSERT INTO transactions (reference, refund_of) SELECT ${literal(reference)}, id FROM transactions WHERE reference = ${literal(refundOfReference)};`;
  return [
    `BEGIN;`,
    header,
    ...legs.map(
      ([account, amount, currency]) =>
        `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
         SELECT t.id, a.id, ${literal(amount)}, ${literal(currency)} FROM transactions t, accounts a
         WHERE t.reference = ${literal(reference)} AND a.name = ${literal(account)};`,
    ),
    `COMMIT;`,
  ].join('\n');
}

/** Legs in words, for messages: `alice −2500 USD, bob +2400 USD`. */
const describeLegs = (legs: readonly Leg[]) =>
  legs.map(([account, amount, currency]) => `${account} ${amount > 0 ? '+' : '−'}${Math.abs(amount)} ${currency}`).join(', ');

/**
 * 2.2 and 2.3 run on the student's 2.1 schema: when 2.1 fails, they say so in one line
 * instead of repeating 2.1's failure under another task.
 */
async function whenTheSchemaFails(task: string, answers: LedgerAnswers): Promise<CheckResult | null> {
  try {
    const schema = await checkSchemaAndPayment(answers);
    return schema.status === 'pass' ? null : fail(`${task}: runs on your 2.1 schema, which fails: fix 2.1 first`);
  } catch (error) {
    if (isNotAnswered(error)) return fail(`${task}: runs on your 2.1 schema, which is not answered yet: answer 2.1 first`);
    return fail(`${task}: runs on your 2.1 schema, which fails: fix 2.1 first`);
  }
}

const columnsOf = async (db: Database) =>
  db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );

// ── 2.1 ──

const contract: Record<string, string[]> = {
  accounts: ['id', 'name', 'currency'],
  transactions: ['id', 'reference'],
  entries: ['id', 'transaction_id', 'account_id', 'amount_minor', 'currency'],
};

async function checkSchemaAndPayment(answers: LedgerAnswers): Promise<CheckResult> {
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

// ── 2.2 ──

/**
 * Write a random ledger in an open transaction, by reference and account name (ids are the
 * schema's business); the last statement lists every transaction's id with its reference.
 */
function ledgerScript(ledger: readonly RandomTransaction[], spell: (code: Currency) => string): string {
  const transactions = ledger.map((t) => `(${literal(t.reference)})`).join(', ');
  const legs = ledger.flatMap((t) =>
    t.legs.map((l) => `(${literal(t.reference)}, ${literal(l.account)}, ${l.amountMinor}, ${literal(spell(l.currency))})`),
  );
  return `BEGIN;
    INSERT INTO transactions (reference) VALUES ${transactions};
    INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
      SELECT t.id, a.id, v.amount_minor, v.currency
      FROM (VALUES ${legs.join(', ')}) AS v (reference, account, amount_minor, currency)
      JOIN transactions t ON t.reference = v.reference
      JOIN accounts a ON a.name = v.account;
    SELECT id, reference FROM transactions;`;
}

/** The student's query returned no `transaction_id` column: which columns it did return. */
class NoTransactionIdColumn extends Error {
  constructor(readonly columns: readonly string[]) {
    super(`the query returned the column(s) ${columns.join(', ') || 'none'}`);
  }
}

interface QueryMismatch {
  ledger: RandomTransaction[];
  /** References of the transactions, as the trace lists them. */
  expected: string[];
  returned: string[];
}

/** LEDGER-9: the student's query returns exactly the corrupted transactions of random ledgers. */
export async function checkUnbalancedQuery(
  db: Database,
  query: SqlSource,
  runs = ledgerPropertyRuns,
  spell: (code: Currency) => string = (code) => code,
): Promise<{ mismatch: QueryMismatch | null; runs: number }> {
  let mismatch: QueryMismatch | null = null;
  const property = fc.asyncProperty(randomLedger, async (ledger) => {
    try {
      const written = await checkerWrites(db, `a random ledger (currencies ${describeCurrencies(spell)})`, ledgerScript(ledger, spell));
      // Ids are whatever the schema makes them (bigint, uuid…): compared as text, reported by reference.
      const referenceOf = new Map(written.at(-1)!.rows.map((r) => [String(r.id), String(r.reference)]));
      // The query only reads: a statement that writes or drops is refused by Postgres itself.
      await db.exec('SET TRANSACTION READ ONLY');
      const results = await runScript(db, query);
      const answer = results.filter((r) => r.columns.length > 0).at(-1);
      if (!answer?.columns.includes('transaction_id')) throw new NoTransactionIdColumn(answer?.columns ?? []);
      const returned = [...new Set(answer.rows.map((r) => String(r.transaction_id)))]
        .map((id) => referenceOf.get(id) ?? `${id} (no such transaction)`)
        .sort();
      const expected = ledger.filter((t) => t.corruption !== 'none').map((t) => t.reference).sort();
      const same = returned.length === expected.length && returned.every((reference, i) => reference === expected[i]);
      if (!same) mismatch = { ledger, expected, returned };
      return same;
    } finally {
      await db.exec('ROLLBACK');
    }
  });
  const outcome = await fc.check(property, { seed: ledgerPropertySeed, numRuns: runs });
  const error = outcome.errorInstance;
  if (error instanceof SqlScriptError || error instanceof NoTransactionIdColumn || error instanceof CheckerStatementFailed) throw error;
  if (outcome.failed && !mismatch) throw error ?? new Error('the ledger property failed');
  // fast-check shrinks before reporting: `mismatch` is then the last (smallest) failing ledger.
  return { mismatch: outcome.failed ? mismatch : null, runs: outcome.numRuns };
}

const describeCurrencies = (spell: (code: Currency) => string) => currencies.map((c) => `'${spell(c)}'`).join(', ');

/** 2.2 (a): the query, on random ledgers written with the student's 2.1 schema. */
async function checkQueryOnRandomLedgers(db: Database, schema: SqlSource, query: SqlSource): Promise<CheckResult> {
  await runScript(db, schema);
  const spell = await currencySpelling(db);
  const accounts = fuzzAccounts.map((a) => `(${literal(a.name)}, ${literal(spell(a.currency))})`).join(', ');
  await checkerWrites(db, `the random ledgers' accounts (currencies ${describeCurrencies(spell)})`, `INSERT INTO accounts (name, currency) VALUES ${accounts}`);
  try {
    const { mismatch, runs } = await checkUnbalancedQuery(db, query, ledgerPropertyRuns, spell);
    if (mismatch) {
      const { ledger, expected, returned } = mismatch;
      return fail(`2.2: your query returned [${returned.join(', ')}] where the unbalanced transactions are [${expected.join(', ')}]`, {
        traceTitle: 'a ledger where your query is wrong',
        trace: `besides the 2.1 payment (seed ${ledgerPropertySeed}):\n${describeLedger(ledger)}`,
      });
    }
    return pass(`${runs} random ledgers`, { figures: { ledgers: runs, seed: ledgerPropertySeed } });
  } catch (error) {
    if (!(error instanceof NoTransactionIdColumn)) throw error;
    return fail(`2.2: your query returned the column(s) ${error.columns.join(', ') || 'none'}; it must return a column named transaction_id (alias it: SELECT … AS transaction_id)`);
  }
}

/** 2.2 (b): balanced writes commit; every way of unbalancing a transaction is refused. */
async function checkEnforcement(db: Database, schema: SqlSource, enforcement: SqlSource): Promise<CheckResult> {
  await runScript(db, schema);
  await runScript(db, enforcement);
  const spell = await currencySpelling(db);
  const [usd, eur] = [spell('USD'), spell('EUR')];
  // An account in another currency, for a transaction that balances in numbers but not in money.
  await checkerWrites(db, `an account in ${literal(eur)}`, `INSERT INTO accounts (name, currency) VALUES ('check_eur', ${literal(eur)})`);

  const balancedLegs: Leg[] = [['alice', -2500, usd], ['bob', 2500, usd]];
  const balanced = await refusal(db, `a balanced payment (${describeLegs(balancedLegs)})`, ledgerTransaction('check_balanced', balancedLegs));
  if (balanced) {
    return fail(`2.2: a balanced payment written one INSERT at a time was refused (${balanced.databaseMessage}): check at COMMIT, not per row`);
  }
  const unbalancedLegs: Leg[] = [['alice', -2500, usd], ['bob', 2400, usd]];
  const oneLeg: Leg[] = [['alice', -2500, usd]];
  const twoCurrencies: Leg[] = [['alice', -2500, usd], ['check_eur', 2500, eur]];
  const attempts: [string, string][] = [
    [`an unbalanced transaction (${describeLegs(unbalancedLegs)})`, ledgerTransaction('check_unbalanced', unbalancedLegs)],
    [`a one-legged transaction (${describeLegs(oneLeg)})`, ledgerTransaction('check_one_leg', oneLeg)],
    [`a transaction with a USD leg and a EUR leg that sum to zero as numbers (${describeLegs(twoCurrencies)})`, ledgerTransaction('check_two_currencies', twoCurrencies)],
    [
      `a lone entry added to the committed payment (alice −1 ${usd})`,
      `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
       SELECT t.id, a.id, -1, ${literal(usd)} FROM transactions t, accounts a WHERE t.reference = 'check_balanced' AND a.name = 'alice'`,
    ],
  ];
  for (const [what, script] of attempts) {
    if ((await refusal(db, what, script)) === null) return fail(`2.2: ${what} was committed: the database must refuse it`);
  }
  const corrupt = await unbalancedTransactions(db);
  if (corrupt.length > 0) return fail(`2.2: the ledger ended with unbalanced transactions ${corrupt.join(', ')}`);
  return pass('unbalanced COMMITs refused');
}

async function checkInvariantAndEnforcement(answers: LedgerAnswers): Promise<CheckResult> {
  const query = answeredSql(answers.unbalancedQuery);
  const enforcement = answeredSql(answers.enforcement);
  const schemaFails = await whenTheSchemaFails('2.2', answers);
  if (schemaFails) return schemaFails;
  const schema = answers.schemaAndPayment;
  const db = await sharedDatabase();

  const queryResult = await withScratchSchema(db, '2.2a', () => failOnSqlError('2.2', () => checkQueryOnRandomLedgers(db, schema, query)));
  if (queryResult.status !== 'pass') return queryResult;
  const enforcementResult = await withScratchSchema(db, '2.2b', () => failOnSqlError('2.2', () => checkEnforcement(db, schema, enforcement)));
  if (enforcementResult.status !== 'pass') return enforcementResult;
  return pass(`the query is exact on ${queryResult.figures!.ledgers} random ledgers; unbalanced COMMITs refused`, { figures: queryResult.figures });
}

// ── 2.3 ──

/** The payment's rows, one JSON text per row, in the columns it had before any refund. */
async function rowsAsText(db: Database, table: 'transactions' | 'entries', reference: string, columns: readonly string[]): Promise<string[]> {
  const rows = await db.query<{ row: Record<string, unknown> }>(
    table === 'transactions'
      ? `SELECT to_jsonb(x) AS row FROM transactions x WHERE x.reference = $1 ORDER BY x.id`
      : `SELECT to_jsonb(x) AS row FROM entries x JOIN transactions t ON t.id = x.transaction_id WHERE t.reference = $1 ORDER BY x.id`,
    [reference],
  );
  return rows.map((r) => JSON.stringify(columns.map((c) => r.row[c])));
}

interface PaymentRows {
  transaction: string[];
  entries: string[];
}

/**
 * LEDGER-3 on Postgres: after a step, the payment's rows must be as they were. Two ways to
 * break it, told apart because their fixes differ: rows changed or gone (an UPDATE or DELETE),
 * or new entries written into the payment's own transaction (a refund needs its own).
 */
function paymentTouched(original: PaymentRows, now: PaymentRows, step: string): CheckResult | null {
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
function refundStepsOf(refunds: SqlSource): Record<(typeof refundSteps)[number], SqlSource> | CheckResult {
  try {
    return splitSteps(refunds, refundSteps);
  } catch (error) {
    if (error instanceof MissingStep) return fail(`2.3: ${error.message}`);
    throw error;
  }
}

async function checkRefunds(answers: LedgerAnswers): Promise<CheckResult> {
  const steps = refundStepsOf(answeredSql(answers.refunds));
  if ('status' in steps) return steps;
  for (const step of refundSteps) answeredSql(steps[step]);
  const schemaFails = await whenTheSchemaFails('2.3', answers);
  if (schemaFails) return schemaFails;
  const db = await sharedDatabase();
  return withScratchSchema(db, '2.3', () =>
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

      const expectations: [(typeof refundSteps)[number], number, number][] = [
        ['partial-refund', -7_000, 7_000],
        ['refund-the-rest', 0, 0],
      ];
      for (const [step, alice, bob] of expectations) {
        await runScript(db, steps[step]);
        const touched = paymentTouched(original, await paymentRows(), step);
        if (touched) return touched;
        const wrong = await balancesWrong(db, alice, bob);
        if (wrong) return fail(`2.3: after ${step}, ${wrong}`);
      }
      const refunds = await db.query<{ reference: string }>(
        `SELECT reference FROM transactions WHERE refund_of = (SELECT id FROM transactions WHERE reference = $1)`,
        [payment.reference],
      );
      if (refunds.length !== 2) return fail(`2.3: expected two refund transactions with refund_of = the payment, found ${refunds.length}`);
      const unbalanced = await unbalancedTransactions(db);
      if (unbalanced.length > 0) return fail(`2.3: refund transaction(s) ${unbalanced.join(', ')} do not sum to zero`);

      // A second payment, to see that the limit is the original's amount, not "refunded once".
      const secondLegs: Leg[] = [['alice', -5_000, usd], ['bob', 5_000, usd]];
      await checkerWrites(db, `a $50.00 payment (${describeLegs(secondLegs)})`, ledgerTransaction('check_payment', secondLegs));
      const overRefunds: [string, string][] = [
        [
          `a refund of one more cent after the full refund (bob −1 ${usd}, alice +1 ${usd})`,
          ledgerTransaction('check_over_refund', [['bob', -1, usd], ['alice', 1, usd]], payment.reference),
        ],
        [
          `a $60.00 refund of a $50.00 payment (bob −6000 ${usd}, alice +6000 ${usd})`,
          ledgerTransaction('check_refund_too_much', [['bob', -6_000, usd], ['alice', 6_000, usd]], 'check_payment'),
        ],
      ];
      for (const [what, script] of overRefunds) {
        if ((await refusal(db, what, script)) === null) return fail(`2.3: ${what} was committed: the database must refuse it`);
      }
      const exactLegs: Leg[] = [['bob', -5_000, usd], ['alice', 5_000, usd]];
      const exact = await refusal(db, `a full $50.00 refund of a $50.00 payment (${describeLegs(exactLegs)})`, ledgerTransaction('check_refund_exact', exactLegs, 'check_payment'));
      if (exact) return fail(`2.3: a full $50.00 refund of a $50.00 payment was refused: ${exact.databaseMessage}`);
      return pass('partial and full refunds restore the balances; the payment rows are untouched; over-refunds refused by Postgres');
    }),
  );
}

// ── 2.4 ──

async function checkCrashPrediction(answers: LedgerAnswers): Promise<CheckResult> {
  const figures = exploreEveryConfig();
  for (const mode of writeModes) {
    for (const point of crashPoints) {
      const predicted = survivorsShape(`whatSurvivesACrash('${mode}', '${point}')`, answers.whatSurvivesACrash(mode, point));
      const model = crashThePayment(mode, point);
      if (predicted !== model.survivors) {
        return fail(`2.4: ${mode}, crash ${point}: you predict "${String(predicted)}", the model leaves "${model.survivors}"`, {
          trace: formatWriteTrace(model.trace),
          figures,
        });
      }
    }
  }
  return pass(`right at all ${writeModes.length * crashPoints.length} crash points; the model explored ${figures.states} states`, { figures });
}

const isSurvivors = isOneOf(...everySurvivors);
const isPromise = describedAs((value) => typeof (value as { then?: unknown } | null)?.then === 'function', 'a Promise');

/** The answer is one of the `Survivors` strings, or a `WrongShape` that lists them. */
function survivorsShape(call: string, value: unknown): Survivors {
  if (isPromise(value)) throw new WrongShape(`2.4: ${call} returned a Promise: answers are plain values, drop the \`async\``);
  if (!isSurvivors(value)) throw new WrongShape(`2.4: ${call} returned ${JSON.stringify(value) ?? String(value)}; expected ${isSurvivors.expected}`);
  return value as Survivors;
}

/** Explore the model in every configuration; the figures that back 2.4's verdict. */
export function exploreEveryConfig(): { states: number; crashPoints: number; configs: number } {
  let states = 0;
  let crashed = 0;
  let configs = 0;
  for (const mode of writeModes) {
    for (const posting of ['single-phase', 'hold'] as const) {
      const config = scenarioConfig(mode, posting);
      const events = candidateEvents(config);
      const result = explore(createLedgerWriteModel(config), {
        events: () => events,
        invariants: ledgerInvariants,
        stepProperties: ledgerStepProperties,
        stopAtFirstViolation: false,
      });
      states += result.figures.states;
      crashed += result.snapshots.filter((s) => s.value === 'crashed').length;
      configs++;
    }
  }
  // Every state that is not a crash is a point where one can strike.
  return { states, crashPoints: states - crashed, configs };
}

// ── Loading a chapter folder ──

async function readSql(dir: string, file: string): Promise<SqlSource> {
  // A missing file reads as empty: the task reports it as not answered.
  const text = await readFile(join(dir, file), 'utf8').catch(() => '');
  return { name: file, text };
}

async function loadPrediction(dir: string): Promise<LedgerAnswers['whatSurvivesACrash']> {
  try {
    const module = (await import(pathToFileURL(join(dir, answerFiles.prediction)).href)) as Partial<LedgerAnswers>;
    if (typeof module.whatSurvivesACrash !== 'function') throw new Error(`${answerFiles.prediction} must export whatSurvivesACrash`);
    return module.whatSurvivesACrash;
  } catch (error) {
    // Reported by task 2.4 alone; the SQL tasks still run.
    return () => {
      throw error;
    };
  }
}

const tasks: readonly Task<LedgerAnswers>[] = [
  {
    id: '2.1',
    answer: answerFiles.schemaAndPayment,
    title: 'The schema and the rows of the payment',
    hint: 'Three tables (accounts, transactions, entries); amount_minor bigint, signed; write both entries inside BEGIN … COMMIT.',
    check: checkSchemaAndPayment,
  },
  {
    id: '2.2',
    answer: `${answerFiles.unbalancedQuery}, ${answerFiles.enforcement}`,
    title: 'The invariant: a query, and its enforcement at COMMIT',
    hint: 'Group entries by transaction and currency; refuse with a CONSTRAINT TRIGGER … DEFERRABLE INITIALLY DEFERRED.',
    dependsOn: ['2.1'],
    check: checkInvariantAndEnforcement,
  },
  {
    id: '2.3',
    answer: answerFiles.refunds,
    title: 'Refunds as reversal entries',
    hint: 'A refund is a new transaction with refund_of = the payment and entries of opposite sign; a deferred trigger sums the refunds.',
    dependsOn: ['2.1'],
    check: checkRefunds,
  },
  {
    id: '2.4',
    answer: `${answerFiles.prediction}: whatSurvivesACrash()`,
    title: 'A crash between the two INSERTs',
    hint: 'In autocommit each INSERT is committed on its own; crash recovery rolls back every transaction that had not committed.',
    check: checkCrashPrediction,
  },
];

export const chapter: Chapter<LedgerAnswers> = {
  number: 2,
  slug: '02-ledger',
  title: 'The double-entry ledger',
  tasks,
  async loadAnswers(chapterDir) {
    return {
      schemaAndPayment: await readSql(chapterDir, answerFiles.schemaAndPayment),
      unbalancedQuery: await readSql(chapterDir, answerFiles.unbalancedQuery),
      enforcement: await readSql(chapterDir, answerFiles.enforcement),
      refunds: await readSql(chapterDir, answerFiles.refunds),
      whatSurvivesACrash: await loadPrediction(chapterDir),
    };
  },
  close: closeSharedDatabase,
};
