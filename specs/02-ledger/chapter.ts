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
import { fail, pass, type Chapter, type CheckResult, type Task } from '../../tools/grading/task.ts';
import { closeSharedDatabase, sharedDatabase, type Database } from '../../tools/sql/database.ts';
import { withScratchSchema } from '../../tools/sql/scratch.ts';
import { answeredSql, expectRefusal, runScript, splitSteps, SqlScriptError, type SqlSource } from '../../tools/sql/script.ts';
import { candidateEvents, createLedgerWriteModel, scenarioConfig } from '../../models/ledger-write/machine.ts';
import { crashPoints, crashThePayment, formatWriteTrace, writeModes, type CrashPoint, type Survivors } from './crash-points.ts';
import { ledgerInvariants, ledgerStepProperties } from './invariants.ts';
import { describeLedger, fuzzAccounts, randomLedger, type RandomTransaction } from './random-ledgers.ts';
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

/** A database refusal in the student's SQL is the student's failure, not the checker's error. */
async function failOnSqlError(task: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
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

/** Ids of transactions whose entries do not sum to zero in some currency. */
async function unbalancedTransactions(db: Database): Promise<string[]> {
  const rows = await db.query<{ id: unknown }>(
    `SELECT DISTINCT transaction_id AS id FROM entries GROUP BY transaction_id, currency HAVING SUM(amount_minor) <> 0`,
  );
  return rows.map((r) => String(r.id));
}

/** The checker's own two-leg transaction, as a script: one INSERT per leg, inside BEGIN … COMMIT. */
function twoLegTransaction(reference: string, legs: [string, number, string][], refundOf?: unknown): string {
  const link = refundOf === undefined ? '' : `, refund_of`;
  const linkValue = refundOf === undefined ? '' : `, ${String(refundOf)}`;
  return [
    `BEGIN;`,
    `INSERT INTO transactions (reference${link}) VALUES ('${reference}'${linkValue});`,
    ...legs.map(
      ([account, amount, currency]) =>
        `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
         SELECT t.id, a.id, ${amount}, '${currency}' FROM transactions t, accounts a
         WHERE t.reference = '${reference}' AND a.name = '${account}';`,
    ),
    `COMMIT;`,
  ].join('\n');
}

/** Run a script that must fail; afterwards the session is out of any transaction. */
async function refusal(db: Database, script: string): Promise<string | null> {
  try {
    await db.exec(script);
    return null;
  } catch (error) {
    await db.exec('ROLLBACK');
    return error instanceof Error ? error.message : String(error);
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
        const rows = await db.query<{ name: string; stored: unknown; derived: bigint }>(
          `SELECT a.name, a.${stored.column_name} AS stored, COALESCE(SUM(e.amount_minor), 0)::bigint AS derived
           FROM accounts a LEFT JOIN entries e ON e.account_id = a.id GROUP BY a.name, a.${stored.column_name}`,
        );
        const off = rows.find((r) => String(r.stored) !== String(r.derived));
        if (off) return fail(`2.1: accounts.${stored.column_name} of ${off.name} is ${String(off.stored)} but its entries sum to ${off.derived}`);
      }
      return pass('Alice −10000 and Bob +10000 cents, derived from entries that sum to zero; bigint minor units; reference unique');
    }),
  );
}

// ── 2.2 ──

/** Write a random ledger in an open transaction, by reference and account name (ids are the schema's business). */
function ledgerScript(ledger: readonly RandomTransaction[]): string {
  const transactions = ledger.map((t) => `('${t.reference}')`).join(', ');
  const legs = ledger.flatMap((t) => t.legs.map((l) => `('${t.reference}', '${l.account}', ${l.amountMinor}, '${l.currency}')`));
  return `BEGIN;
    INSERT INTO transactions (reference) VALUES ${transactions};
    INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
      SELECT t.id, a.id, v.amount_minor, v.currency
      FROM (VALUES ${legs.join(', ')}) AS v (reference, account, amount_minor, currency)
      JOIN transactions t ON t.reference = v.reference
      JOIN accounts a ON a.name = v.account;
    SELECT id, reference FROM transactions WHERE reference LIKE 'fuzz\\_%';`;
}

interface QueryMismatch {
  ledger: RandomTransaction[];
  expected: string[];
  returned: string[];
}

/** LEDGER-9: the student's query returns exactly the corrupted transactions of random ledgers. */
export async function checkUnbalancedQuery(
  db: Database,
  query: SqlSource,
  runs = ledgerPropertyRuns,
): Promise<{ mismatch: QueryMismatch | null; runs: number }> {
  let mismatch: QueryMismatch | null = null;
  const property = fc.asyncProperty(randomLedger, async (ledger) => {
    try {
      const [, , , ids] = await db.exec(ledgerScript(ledger));
      const idOf = new Map(ids!.rows.map((r) => [String(r.reference), String(r.id)]));
      // The query only reads: a statement that writes or drops is refused by Postgres itself.
      await db.exec('SET TRANSACTION READ ONLY');
      const results = await runScript(db, query);
      const answer = results.filter((r) => r.columns.length > 0).at(-1);
      if (!answer || !answer.columns.includes('transaction_id')) {
        throw new SqlScriptError(query.name, 'the query must return a column named transaction_id', undefined, undefined);
      }
      const returned = [...new Set(answer.rows.map((r) => String(r.transaction_id)))].sort();
      const expected = ledger.filter((t) => t.corruption !== 'none').map((t) => idOf.get(t.reference)!).sort();
      const same = returned.length === expected.length && returned.every((id, i) => id === expected[i]);
      if (!same) mismatch = { ledger, expected, returned };
      return same;
    } finally {
      await db.exec('ROLLBACK');
    }
  });
  const outcome = await fc.check(property, { seed: ledgerPropertySeed, numRuns: runs });
  if (outcome.errorInstance instanceof SqlScriptError) throw outcome.errorInstance;
  if (outcome.failed && !mismatch) throw outcome.errorInstance ?? new Error('the ledger property failed');
  // fast-check shrinks before reporting: `mismatch` is then the last (smallest) failing ledger.
  return { mismatch: outcome.failed ? mismatch : null, runs: outcome.numRuns };
}

async function checkInvariantAndEnforcement(answers: LedgerAnswers): Promise<CheckResult> {
  const query = answeredSql(answers.unbalancedQuery);
  const enforcement = answeredSql(answers.enforcement);
  const schema = answeredSql(answers.schemaAndPayment);
  const db = await sharedDatabase();

  const queryResult = await withScratchSchema(db, '2.2a', () =>
    failOnSqlError('2.2', async () => {
      await runScript(db, schema);
      const accounts = fuzzAccounts.map((a) => `('${a.name}', '${a.currency}')`).join(', ');
      await db.exec(`INSERT INTO accounts (name, currency) VALUES ${accounts}`);
      const { mismatch, runs } = await checkUnbalancedQuery(db, query);
      if (mismatch) {
        const { ledger, expected, returned } = mismatch;
        return fail(`2.2: the query returned [${returned.join(', ')}] where the unbalanced transactions are [${expected.join(', ')}]`, {
          trace: `a ledger (besides the 2.1 payment) where the query is wrong (seed ${ledgerPropertySeed}):\n${describeLedger(ledger)}`,
        });
      }
      return pass(`${runs} random ledgers`, { figures: { ledgers: runs, seed: ledgerPropertySeed } });
    }),
  );
  if (queryResult.status !== 'pass') return queryResult;

  return withScratchSchema(db, '2.2b', () =>
    failOnSqlError('2.2', async () => {
      await runScript(db, schema);
      await runScript(db, enforcement);
      const balanced = twoLegTransaction('check_balanced', [['alice', -2500, 'USD'], ['bob', 2500, 'USD']]);
      try {
        await db.exec(balanced);
      } catch (error) {
        await db.exec('ROLLBACK');
        return fail(`2.2: a balanced payment written one INSERT at a time was refused (${(error as Error).message}): check at COMMIT, not per row`);
      }
      const attempts: [string, string][] = [
        ['an unbalanced transaction (−2500, +2400)', twoLegTransaction('check_unbalanced', [['alice', -2500, 'USD'], ['bob', 2400, 'USD']])],
        ['a one-legged transaction', twoLegTransaction('check_one_leg', [['alice', -2500, 'USD']])],
        [
          'a lone entry added to the committed payment',
          `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
           SELECT t.id, a.id, -1, 'USD' FROM transactions t, accounts a WHERE t.reference = 'check_balanced' AND a.name = 'alice'`,
        ],
      ];
      for (const [what, script] of attempts) {
        if ((await refusal(db, script)) === null) return fail(`2.2: ${what} was committed: the database must refuse it`);
      }
      const corrupt = await unbalancedTransactions(db);
      if (corrupt.length > 0) return fail(`2.2: the ledger ended with unbalanced transactions ${corrupt.join(', ')}`);
      return pass(`the query is exact on ${queryResult.figures!.ledgers} random ledgers; unbalanced COMMITs refused`, {
        figures: queryResult.figures,
      });
    }),
  );
}

// ── 2.3 ──

/** The payment's rows as text, column by column, to tell whether anything touched them. */
async function rowsAsText(db: Database, table: 'transactions' | 'entries', ids: readonly unknown[], columns: readonly string[]) {
  const rows = await db.query<{ row: Record<string, unknown> }>(
    `SELECT to_jsonb(x) AS row FROM ${table} x WHERE ${table === 'transactions' ? 'id' : 'transaction_id'}::text = ANY($1) ORDER BY id`,
    [ids.map(String)],
  );
  return JSON.stringify(rows.map((r) => columns.map((c) => r.row[c])));
}

async function checkRefunds(answers: LedgerAnswers): Promise<CheckResult> {
  const schema = answeredSql(answers.schemaAndPayment);
  const steps = splitSteps(answers.refunds, refundSteps);
  for (const step of refundSteps) answeredSql(steps[step]);
  const db = await sharedDatabase();
  return withScratchSchema(db, '2.3', () =>
    failOnSqlError('2.3', async () => {
      await runScript(db, schema);
      const [payment] = await db.query<{ id: unknown }>(`SELECT id FROM transactions`);
      if (!payment) return fail('2.3: your 2.1 file wrote no payment to refund');
      const columnNames = async (table: string) =>
        (await columnsOf(db)).filter((c) => c.table_name === table).map((c) => c.column_name);
      const originalColumns = { transactions: await columnNames('transactions'), entries: await columnNames('entries') };
      const snapshot = async () =>
        (await rowsAsText(db, 'transactions', [payment.id], originalColumns.transactions)) +
        (await rowsAsText(db, 'entries', [payment.id], originalColumns.entries));
      const original = await snapshot();
      const untouched = async (after: string) =>
        (await snapshot()) === original ? null : fail(`2.3: the payment's rows changed after ${after}: refund with new reversal entries, never UPDATE or DELETE`);

      await runScript(db, steps['refund-schema']);
      if (!(await columnNames('transactions')).includes('refund_of')) return fail('2.3: add transactions.refund_of, the id of the refunded transaction');

      const expectations: [(typeof refundSteps)[number], number, number][] = [
        ['partial-refund', -7_000, 7_000],
        ['refund-the-rest', 0, 0],
      ];
      for (const [step, alice, bob] of expectations) {
        await runScript(db, steps[step]);
        const changed = await untouched(step);
        if (changed) return changed;
        const wrong = await balancesWrong(db, alice, bob);
        if (wrong) return fail(`2.3: after ${step}, ${wrong}`);
      }
      const refunds = await db.query<{ id: unknown }>(`SELECT id FROM transactions WHERE refund_of = $1`, [payment.id]);
      if (refunds.length !== 2) return fail(`2.3: expected two refund transactions with refund_of = the payment, found ${refunds.length}`);
      const unbalanced = await unbalancedTransactions(db);
      if (unbalanced.length > 0) return fail(`2.3: refund transaction(s) ${unbalanced.join(', ')} do not sum to zero`);

      const overRefunds: [string, string][] = [
        [
          'one more cent after the full refund',
          twoLegTransaction('check_over_refund', [['bob', -1, 'USD'], ['alice', 1, 'USD']], payment.id),
        ],
      ];
      for (const [what, script] of overRefunds) {
        if ((await refusal(db, script)) === null) return fail(`2.3: a refund of ${what} was committed: the database must refuse it`);
      }
      // A second payment, to see that the limit is the original's amount, not "refunded once".
      await db.exec(twoLegTransaction('check_payment', [['alice', -5_000, 'USD'], ['bob', 5_000, 'USD']]));
      const [second] = await db.query<{ id: unknown }>(`SELECT id FROM transactions WHERE reference = 'check_payment'`);
      const tooMuch = twoLegTransaction('check_refund_too_much', [['bob', -6_000, 'USD'], ['alice', 6_000, 'USD']], second!.id);
      if ((await refusal(db, tooMuch)) === null) return fail('2.3: a $60.00 refund of a $50.00 payment was committed: the database must refuse it');
      const exact = twoLegTransaction('check_refund_exact', [['bob', -5_000, 'USD'], ['alice', 5_000, 'USD']], second!.id);
      try {
        await db.exec(exact);
      } catch (error) {
        await db.exec('ROLLBACK');
        return fail(`2.3: a full $50.00 refund of a $50.00 payment was refused: ${(error as Error).message}`);
      }
      return pass('partial and full refunds restore the balances; the payment rows are untouched; over-refunds refused by Postgres');
    }),
  );
}

// ── 2.4 ──

async function checkCrashPrediction(answers: LedgerAnswers): Promise<CheckResult> {
  const figures = exploreEveryConfig();
  for (const mode of writeModes) {
    for (const point of crashPoints) {
      const predicted = answers.whatSurvivesACrash(mode, point);
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
