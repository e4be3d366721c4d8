/**
 * What chapter 2's checks share: the checker's own writes on the student's schema, what
 * counts as the database refusing something, balances, and the student's 2.1 schema as ground.
 */
import { EnvironmentError, fail, isNotAnswered, type CheckResult } from '../../tools/grading/task.ts';
import { type Database, type StatementResult } from '../../tools/sql/database.ts';
import { databaseError, SqlScriptError } from '../../tools/sql/script.ts';
import { type Currency } from './random-ledgers.ts';
import type { LedgerAnswers } from './answer-files.ts';
import { checkSchemaAndPayment } from './check-schema.ts';

/** A value the checker writes into its SQL, as a quoted literal: Postgres casts it to the column's type. */
export const literal = (value: string | number) => `'${String(value).replaceAll("'", "''")}'`;

/**
 * The errors by which a database refuses a write on purpose: an integrity constraint
 * (SQLSTATE class 23: unique, foreign key, check, exclusion…), `RAISE EXCEPTION` (P0001), a
 * PL/pgSQL `ASSERT` (P0004) and a privilege taken away (42501: `REVOKE UPDATE, DELETE`). Anything else (a syntax error, an unknown column, bad data) means
 * a statement could not run at all, which proves nothing about the student's enforcement.
 */
export const isEnforcement = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith('23') || code === 'P0001' || code === 'P0004' || code === '42501');

/** What the checker's own INSERTs rely on: the schema contract of the chapter's README. */
export const contractReminder =
  'The schema contract (exercises/02-ledger/README.md): the checker INSERTs accounts (name, currency), transactions (reference, and refund_of from 2.3) and entries (transaction_id, account_id, amount_minor, currency) giving no other column, with the ISO codes USD, EUR and JPY in the case your accounts use.';

/** What the checker's joins rely on: a column holding another row's id can be compared with that id. */
export const idTypesContract =
  "The schema contract (exercises/02-ledger/README.md): a column that holds another row's id has the type of that id and references it: entries.transaction_id the type of transactions.id, entries.account_id the type of accounts.id, transactions.refund_of the type of transactions.id.";

/**
 * One of the checker's own statements failed on the student's schema: reported as a FAIL that
 * says whose statement it was, quoting Postgres, never as the student's enforcement at work
 * nor as an error of the checker. An INSERT can be refused on purpose (a constraint); a query
 * that fails (`text = uuid`: no such operator) means the schema broke the contract.
 */
export class CheckerStatementFailed extends Error {
  constructor(
    readonly statement: 'INSERT' | 'query',
    readonly what: string,
    readonly refused: SqlScriptError,
    readonly contract: string = statement === 'INSERT' ? contractReminder : idTypesContract,
  ) {
    super(`the checker's ${statement} of ${what} failed: ${refused.databaseMessage}`);
  }

  report(task: string): CheckResult {
    const { databaseMessage, code } = this.refused;
    const said = `${databaseMessage}${code ? ` (SQLSTATE ${code})` : ''}`;
    const whose = `the checker's ${this.statement} of ${this.what}`;
    if (this.statement === 'INSERT' && isEnforcement(code)) return fail(`${task}: ${whose} was refused by your schema: ${said}. ${this.contract}`);
    // A write that fails for another reason must not pass for a refusal: say what counts as one.
    const onlyRefusals = this.statement === 'INSERT' ? ' Only a constraint violation (SQLSTATE class 23) or a RAISE EXCEPTION counts as refusing a write.' : '';
    return fail(`${task}: ${whose} could not run on your schema: ${said}.${onlyRefusals} ${this.contract}`);
  }
}

/** Postgres's error for one of the checker's statements, or the error itself if it is not Postgres's. */
export function asDatabaseError(error: unknown): SqlScriptError {
  const refused = databaseError(error, 'the checker');
  if (refused instanceof SqlScriptError) return refused;
  throw error;
}

/** Run one of the checker's scripts that must succeed; any error is a `CheckerStatementFailed`. */
export async function checkerWrites(db: Database, what: string, script: string): Promise<StatementResult[]> {
  try {
    return await db.exec(script);
  } catch (error) {
    const refused = asDatabaseError(error);
    await db.exec('ROLLBACK');
    throw new CheckerStatementFailed('INSERT', what, refused);
  }
}

/**
 * Run one of the checker's queries on the student's schema. It can fail on a schema that
 * looked legal (an id column declared `text` compared with a `uuid` id): that is a
 * `CheckerStatementFailed` naming the contract broken, not an error of the checker.
 */
export async function checkerReads<Row>(db: Database, what: string, sql: string, params: readonly unknown[] = [], contract?: string): Promise<Row[]> {
  try {
    return await db.query<Row>(sql, params);
  } catch (error) {
    throw new CheckerStatementFailed('query', what, asDatabaseError(error), contract);
  }
}

/**
 * Run a script the database should refuse: its refusal, or null if it committed. An error that
 * is not an enforcement (see `isEnforcement`) is a `CheckerStatementFailed`, not a refusal.
 */
export async function refusal(db: Database, what: string, script: string): Promise<SqlScriptError | null> {
  try {
    await db.exec(script);
    return null;
  } catch (error) {
    const refused = asDatabaseError(error);
    await db.exec('ROLLBACK');
    if (isEnforcement(refused.code)) return refused;
    throw new CheckerStatementFailed('INSERT', what, refused);
  }
}

/** A database refusal in the student's SQL is the student's failure, not the checker's error. */
export async function failOnSqlError(task: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof CheckerStatementFailed) return error.report(task);
    if (error instanceof SqlScriptError && error.code === '57014') {
      return fail(`${task}: a statement ran too long and was cancelled (${error.message}): does something wait forever, or loop?`);
    }
    if (error instanceof SqlScriptError) return fail(`${task}: Postgres refused ${error.message}`);
    throw error;
  }
}

/** Balance of each named account: the sum of its entries (int8 sums come back as bigint). */
export async function balances(db: Database): Promise<Map<string, bigint>> {
  const rows = await checkerReads<{ name: string; balance: bigint }>(
    db,
    'the balances (accounts joined to their entries on entries.account_id = accounts.id)',
    `SELECT a.name, COALESCE(SUM(e.amount_minor), 0)::bigint AS balance
     FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
     GROUP BY a.name`,
  );
  return new Map(rows.map((r) => [r.name, r.balance]));
}

/** `null` when Alice and Bob hold the expected balances, else what is wrong. */
export async function balancesWrong(db: Database, alice: number, bob: number): Promise<string | null> {
  const found = await balances(db);
  const show = (name: string) => (found.has(name) ? String(found.get(name)) : 'no such account');
  if (found.get('alice') === BigInt(alice) && found.get('bob') === BigInt(bob)) return null;
  // What was found of the account(s) that are off, never the figure to type in (nor, by
  // echoing a right balance beside a wrong one, a figure confirmed).
  const off = (['alice', 'bob'] as const).filter((name) => found.get(name) !== BigInt(name === 'alice' ? alice : bob));
  if (off.length === 2) return `the balances are alice ${show('alice')} and bob ${show('bob')} cents: neither is what this step should leave`;
  return `${off[0]}'s balance is ${show(off[0]!)} cents: not what this step should leave`;
}

/** References of the transactions whose entries do not sum to zero in some currency (ids are the schema's, references are what a student reads). */
export async function unbalancedTransactions(db: Database): Promise<string[]> {
  const rows = await checkerReads<{ reference: string }>(
    db,
    'the unbalanced transactions (entries joined to their transactions on transactions.id = entries.transaction_id)',
    `SELECT DISTINCT t.reference FROM entries e JOIN transactions t ON t.id = e.transaction_id
     GROUP BY t.reference, e.currency HAVING SUM(e.amount_minor) <> 0 ORDER BY t.reference`,
  );
  return rows.map((r) => r.reference);
}

/**
 * Currency codes spelled as the student's schema spells them: the case of Alice's account
 * (Stripe writes 'usd', ISO 4217 'USD'; both are fine, mixing them is not).
 */
export async function currencySpelling(db: Database): Promise<(code: Currency) => string> {
  const [alice] = await db.query<{ currency: string }>(`SELECT currency FROM accounts WHERE name = 'alice'`);
  const sample = String(alice?.currency ?? 'USD').trim();
  const lowerCase = sample === sample.toLowerCase() && sample !== sample.toUpperCase();
  return (code) => (lowerCase ? code.toLowerCase() : code);
}

export type Leg = [account: string, amountMinor: number, currency: string];

/**
 * The checker's own ledger transaction, as a script: one INSERT per leg, inside BEGIN … COMMIT.
 * A refund names its original by reference, so that no id of the student's schema (bigint,
 * uuid, text…) is ever pasted into the SQL.
 */
export function ledgerTransaction(reference: string, legs: readonly Leg[], refundOfReference?: string): string {
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
export const describeLegs = (legs: readonly Leg[]) =>
  legs.map(([account, amount, currency]) => `${account} ${amount > 0 ? '+' : '−'}${Math.abs(amount)} ${currency}`).join(', ');

/**
 * 2.2 and 2.3 run on the student's 2.1 schema: when 2.1 fails, they say so in one line
 * instead of repeating 2.1's failure under another task.
 */
export async function whenTheSchemaFails(task: string, answers: LedgerAnswers): Promise<CheckResult | null> {
  try {
    const schema = await schemaVerdict(answers);
    return schema.status === 'pass' ? null : fail(`${task}: runs on your 2.1 schema, which fails: fix 2.1 first`);
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    if (isNotAnswered(error)) return fail(`${task}: runs on your 2.1 schema, which is not answered yet: answer 2.1 first`);
    return fail(`${task}: runs on your 2.1 schema, which fails: fix 2.1 first`);
  }
}

/** 2.1's verdict on a schema text, computed once per text: 2.2 and 2.3 ask for it again. */
const verdicts = new Map<string, Promise<CheckResult>>();
function schemaVerdict(answers: LedgerAnswers): Promise<CheckResult> {
  const key = answers.schemaAndPayment.text;
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = Promise.resolve().then(() => checkSchemaAndPayment(answers));
    verdicts.set(key, verdict);
    // A failure of the environment is not a verdict on the schema: ask again next time.
    verdict.catch(() => verdicts.delete(key));
  }
  return verdict;
}

export const columnsOf = async (db: Database) =>
  db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
