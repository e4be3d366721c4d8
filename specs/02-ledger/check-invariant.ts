/** Task 2.2: the invariant, as a query on random ledgers and as an enforcement at COMMIT. */
import fc from 'fast-check';
import { fail, pass, type CheckResult } from '../../tools/grading/task.ts';
import { unpredictableName, withScratchDatabase, type Database } from '../../tools/sql/database.ts';
import { isAnswered, runScript, SqlScriptError, type SqlSource } from '../../tools/sql/script.ts';
import { currencies, describeLedger, fuzzAccounts, randomLedger, type Currency, type RandomTransaction } from './random-ledgers.ts';
import { answerFiles, notAnswered, type LedgerAnswers } from './answer-files.ts';
import { literal, checkerWrites, refusal, failOnSqlError, unbalancedTransactions, currencySpelling, ledgerTransaction, describeLegs, whenTheSchemaFails, CheckerStatementFailed } from './sql-checks.ts';
import type { Leg } from './sql-checks.ts';
import { ledgerScenario } from './scenario.ts';
import { valuesFor } from '../../tools/grading/property.ts';

/** Fixed, so that a failure is reproducible and the key's figures do not change between builds. */
export const ledgerPropertySeed = ledgerScenario.ledgerSeed;
export const ledgerPropertyRuns = ledgerScenario.ledgerRuns;

/** How many random ledgers, from which seed (the hidden checks use others). */
export interface LedgerSample {
  runs: number;
  seed: number;
}
const visibleSample: LedgerSample = { runs: ledgerPropertyRuns, seed: ledgerPropertySeed };
/**
 * Of those, how many also run one ledger at a time (a query that depends on the whole table,
 * a LIMIT say, shows there); all of them run together as one ledger, in one round trip.
 */
export const ledgerPropertyRunsAlone = 10;

/**
 * Write a random ledger in an open transaction, by reference and account name (ids are the
 * schema's business); the last statement lists every transaction's id with its reference.
 */
export function ledgerScript(ledger: readonly RandomTransaction[], spell: (code: Currency) => string): string {
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

/** The student's query file holds several statements: the text asks for ONE query. */
class NotOneQuery extends Error {
  constructor(readonly statements: number) {
    super(`the query file ran ${statements} statements`);
  }
}

/** The student's query returned no `transaction_id` column: which columns it did return. */
class NoTransactionIdColumn extends Error {
  constructor(readonly columns: readonly string[]) {
    super(`the query returned the column(s) ${columns.join(', ') || 'none'}`);
  }
}

export interface QueryMismatch {
  ledger: RandomTransaction[];
  /** References of the transactions, as the trace lists them. */
  expected: string[];
  /** Each transaction the query returned, once. */
  returned: string[];
  /** Transactions the query returned on more than one row (the text asks for one row each). */
  repeated: string[];
}

/**
 * LEDGER-9: the student's query returns exactly the corrupted transactions of random ledgers.
 * All `runs` ledgers are written together (transactions are independent, so a right query is
 * right on their union) and checked in one round trip; then `alone` of them one at a time.
 * When the union goes wrong, fast-check replays the ledgers one at a time and shrinks the
 * failing one, so that the trace is the smallest ledger where the query is wrong.
 */
export async function checkUnbalancedQuery(
  db: Database,
  query: SqlSource,
  runs = ledgerPropertyRuns,
  spell: (code: Currency) => string = (code) => code,
  alone = ledgerPropertyRunsAlone,
  seed = ledgerPropertySeed,
): Promise<{ mismatch: QueryMismatch | null; runs: number }> {
  const union = valuesFor(randomLedger, { seed, numRuns: runs })
    .flatMap((ledger, i) => ledger.map((t) => ({ ...t, reference: `${t.reference}_of_${i + 1}` })));
  const together = await queryMatches(db, query, union, spell).catch(() => null);
  const oneByOne = await checkLedgersOneByOne(db, query, together && !together.mismatch ? alone : runs, spell, seed);
  return { mismatch: oneByOne.mismatch ?? together?.mismatch ?? null, runs };
}

/** Write `ledger` in a transaction, run the query read-only, compare, roll back. */
async function queryMatches(db: Database, query: SqlSource, ledger: RandomTransaction[], spell: (code: Currency) => string): Promise<{ mismatch: QueryMismatch | null }> {
  try {
    const written = await checkerWrites(db, `a random ledger (currencies ${describeCurrencies(spell)})`, ledgerScript(ledger, spell));
    const referenceOf = new Map(written.at(-1)!.rows.map((r) => [String(r.id), String(r.reference)]));
    await db.exec('SET TRANSACTION READ ONLY');
    const results = await runScript(db, query);
    if (results.length !== 1) throw new NotOneQuery(results.length);
    const [answer] = results;
    if (!answer?.columns.includes('transaction_id')) throw new NoTransactionIdColumn(answer?.columns ?? []);
    const rows = answer.rows.map((r) => referenceOf.get(String(r.transaction_id)) ?? `${String(r.transaction_id)} (no such transaction)`);
    const returned = [...new Set(rows)].sort();
    const repeated = returned.filter((reference) => rows.indexOf(reference) !== rows.lastIndexOf(reference));
    const expected = ledger.filter((t) => t.corruption !== 'none').map((t) => t.reference).sort();
    const same = returned.length === expected.length && returned.every((reference, i) => reference === expected[i]);
    return { mismatch: same && repeated.length === 0 ? null : { ledger, expected, returned, repeated } };
  } finally {
    await db.exec('ROLLBACK');
  }
}

/** The property on `runs` ledgers, one at a time, shrinking a failure. */
async function checkLedgersOneByOne(
  db: Database,
  query: SqlSource,
  runs: number,
  spell: (code: Currency) => string,
  seed: number,
): Promise<{ mismatch: QueryMismatch | null }> {
  let mismatch: QueryMismatch | null = null;
  const property = fc.asyncProperty(randomLedger, async (ledger) => {
    const result = await queryMatches(db, query, ledger, spell);
    if (result.mismatch) mismatch = result.mismatch;
    return result.mismatch === null;
  });
  const outcome = await fc.check(property, { seed, numRuns: runs });
  const error = outcome.errorInstance;
  if (error instanceof SqlScriptError || error instanceof NoTransactionIdColumn || error instanceof NotOneQuery || error instanceof CheckerStatementFailed) throw error;
  if (outcome.failed && !mismatch) throw error ?? new Error('the ledger property failed');
  // fast-check shrinks before reporting: `mismatch` is then the last (smallest) failing ledger.
  return { mismatch: outcome.failed ? mismatch : null };
}

export const describeCurrencies = (spell: (code: Currency) => string) => currencies.map((c) => `'${spell(c)}'`).join(', ');

/** 2.2 (a): the query, on random ledgers written with the student's 2.1 schema. */
export async function checkQueryOnRandomLedgers(db: Database, schema: SqlSource, query: SqlSource, sample = visibleSample): Promise<CheckResult> {
  await runScript(db, schema);
  const spell = await currencySpelling(db);
  const accounts = fuzzAccounts.map((a) => `(${literal(a.name)}, ${literal(spell(a.currency))})`).join(', ');
  await checkerWrites(db, `the random ledgers' accounts (currencies ${describeCurrencies(spell)})`, `INSERT INTO accounts (name, currency) VALUES ${accounts}`);
  try {
    const { mismatch, runs } = await checkUnbalancedQuery(db, query, sample.runs, spell, ledgerPropertyRunsAlone, sample.seed);
    if (mismatch) {
      const { ledger, expected, returned, repeated } = mismatch;
      const sameTransactions = returned.length === expected.length && returned.every((reference, i) => reference === expected[i]);
      const missed = expected.filter((reference) => !returned.includes(reference));
      const extra = returned.filter((reference) => !expected.includes(reference));
      const wrong = sameTransactions
        ? `your query returned ${repeated.join(', ')} more than once: the unbalanced transactions are asked for one row each`
        : `your query returned [${returned.join(', ')}]: ${[
            missed.length > 0 ? `it misses ${missed.length} unbalanced transaction${missed.length === 1 ? '' : 's'}` : '',
            extra.length > 0 ? `${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not unbalanced` : '',
          ]
            .filter(Boolean)
            .join(', and ')}`;
      return fail(`2.2: ${wrong}`, {
        traceTitle: 'a ledger where your query is wrong',
        trace: `besides the 2.1 payment (seed ${sample.seed}):\n${describeLedger(ledger)}`,
      });
    }
    return pass(`${runs} random ledgers`, { figures: { ledgers: runs, seed: sample.seed } });
  } catch (error) {
    if (error instanceof NotOneQuery) {
      return fail(`2.2: ${answerFiles.unbalancedQuery} ran ${error.statements} statements; it must hold ONE query, whose rows are the answer`);
    }
    if (!(error instanceof NoTransactionIdColumn)) throw error;
    return fail(`2.2: your query returned the column(s) ${error.columns.join(', ') || 'none'}; it must return a column named transaction_id (alias it: SELECT … AS transaction_id)`);
  }
}

/** 2.2 (b): balanced writes commit; every way of unbalancing a transaction is refused. */
export async function checkEnforcement(db: Database, schema: SqlSource, enforcement: SqlSource): Promise<CheckResult> {
  await runScript(db, schema);
  await runScript(db, enforcement);
  const spell = await currencySpelling(db);
  const [usd, eur] = [spell('USD'), spell('EUR')];
  // An account in another currency, for a transaction that balances in numbers but not in money.
  await checkerWrites(db, `an account in ${literal(eur)}`, `INSERT INTO accounts (name, currency) VALUES ('check_eur', ${literal(eur)})`);

  // References the answer cannot predict: an enforcement must not single out the checker's rows.
  const ref = { balanced: unpredictableName('pay'), unbalanced: unpredictableName('pay'), oneLeg: unpredictableName('pay'), twoCurrencies: unpredictableName('pay') };
  const balancedLegs: Leg[] = [['alice', -2500, usd], ['bob', 2500, usd]];
  const balanced = await refusal(db, `a balanced payment (${describeLegs(balancedLegs)})`, ledgerTransaction(ref.balanced, balancedLegs));
  if (balanced) {
    return fail(`2.2: a balanced payment written one INSERT at a time was refused (${balanced.databaseMessage}): check at COMMIT, not per row`);
  }
  const unbalancedLegs: Leg[] = [['alice', -2500, usd], ['bob', 2400, usd]];
  const oneLeg: Leg[] = [['alice', -2500, usd]];
  const twoCurrencies: Leg[] = [['alice', -2500, usd], ['check_eur', 2500, eur]];
  const attempts: [string, string][] = [
    [`an unbalanced transaction (${describeLegs(unbalancedLegs)})`, ledgerTransaction(ref.unbalanced, unbalancedLegs)],
    [`a one-legged transaction (${describeLegs(oneLeg)})`, ledgerTransaction(ref.oneLeg, oneLeg)],
    [`a transaction with a USD leg and a EUR leg that sum to zero as numbers (${describeLegs(twoCurrencies)})`, ledgerTransaction(ref.twoCurrencies, twoCurrencies)],
    [
      `a lone entry added to the committed payment (alice −1 ${usd})`,
      `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
       SELECT t.id, a.id, -1, ${literal(usd)} FROM transactions t, accounts a WHERE t.reference = ${literal(ref.balanced)} AND a.name = 'alice'`,
    ],
  ];
  for (const [what, script] of attempts) {
    if ((await refusal(db, what, script)) === null) return fail(`2.2: ${what} was committed: the database must refuse it`);
  }
  const corrupt = await unbalancedTransactions(db);
  if (corrupt.length > 0) return fail(`2.2: the ledger ended with unbalanced transactions ${corrupt.join(', ')}`);
  const changed = await postedEntriesChange(db, ref.balanced);
  if (changed) return fail(`2.2: ${changed}`);
  return pass('unbalanced COMMITs refused; posted entries cannot be changed or deleted');
}

/**
 * Posted entries are immutable: a correction is a new entry. UPDATE and DELETE of a committed
 * payment's entries that keep it balanced (a deferred balance check cannot see them) must be
 * refused; and the entries must be as they were (a rule that silently does nothing is not a
 * refusal the writer sees, but the ledger is checked too).
 */
export async function postedEntriesChange(db: Database, reference: string): Promise<string | null> {
  const ofPayment = `transaction_id = (SELECT id FROM transactions WHERE reference = ${literal(reference)})`;
  const before = await db.query<{ rows: string }>(`SELECT string_agg(to_jsonb(e)::text, ',' ORDER BY e.id::text) AS rows FROM entries e WHERE ${ofPayment}`);
  const attempts: [string, string][] = [
    [`an UPDATE doubling both entries of the committed payment ${reference} (it stays balanced)`, `UPDATE entries SET amount_minor = amount_minor * 2 WHERE ${ofPayment}`],
    [`a DELETE of both entries of the committed payment ${reference} (it stays balanced)`, `DELETE FROM entries WHERE ${ofPayment}`],
  ];
  for (const [what, sql] of attempts) {
    const refused = await refusal(db, what, sql);
    const after = await db.query<{ rows: string }>(`SELECT string_agg(to_jsonb(e)::text, ',' ORDER BY e.id::text) AS rows FROM entries e WHERE ${ofPayment}`);
    if (after[0]!.rows !== before[0]!.rows) return `${what} changed the posted entries: posted entries must be immutable`;
    if (!refused) return `${what} reported success without an error: refuse it, so that the writer knows`;
  }
  return null;
}

export async function checkInvariantAndEnforcement(answers: LedgerAnswers, sample = visibleSample): Promise<CheckResult> {
  // Two files answer 2.2: the TODO names the one(s) still to write, not both.
  const unanswered = [answers.unbalancedQuery, answers.enforcement].filter((source) => !isAnswered(source));
  if (unanswered.length > 0) return notAnswered(unanswered.map((source) => source.name));
  const query = answers.unbalancedQuery;
  const enforcement = answers.enforcement;
  const schemaFails = await whenTheSchemaFails('2.2', answers);
  if (schemaFails) return schemaFails;
  const schema = answers.schemaAndPayment;
  const queryResult = await queryVerdict(schema, query, sample);
  if (queryResult.status !== 'pass') return queryResult;
  const enforcementResult = await withScratchDatabase('2.2b', ({ db }) => failOnSqlError('2.2', () => checkEnforcement(db, schema, enforcement)));
  if (enforcementResult.status !== 'pass') return enforcementResult;
  return pass(`the query is exact on ${queryResult.figures!.ledgers} random ledgers; unbalanced COMMITs refused`, { figures: queryResult.figures });
}

/**
 * 2.2 (a)'s verdict on a schema, a query and a sample, computed once per texts: it depends on
 * nothing else (the ledgers come from the sample's seed), and the check asks for it again with
 * every enforcement tried on the same query (as `schemaVerdict` does for 2.1's).
 */
const queryVerdicts = new Map<string, Promise<CheckResult>>();
function queryVerdict(schema: SqlSource, query: SqlSource, sample: LedgerSample): Promise<CheckResult> {
  const key = JSON.stringify([schema.name, schema.text, query.name, query.text, sample.runs, sample.seed]);
  let verdict = queryVerdicts.get(key);
  if (!verdict) {
    verdict = withScratchDatabase('2.2a', ({ db }) => failOnSqlError('2.2', () => checkQueryOnRandomLedgers(db, schema, query, sample)));
    queryVerdicts.set(key, verdict);
    // A failure of the environment is not a verdict on the query: ask again next time.
    verdict.catch(() => queryVerdicts.delete(key));
  }
  return verdict;
}
