/**
 * The answer key of chapter 2, generated: every SQL block below is executed on Postgres
 * while the key is built and printed with the rows (or the error) it produced; the tables,
 * traces and diagrams come from the ledger-write model; the figures from the checks.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChapterKey } from '../../tools/build/chapter-key.ts';
import { explore } from '../../tools/explore/explore.ts';
import { markdownTable, type Cell } from '../../tools/render/table.ts';
import { projectExploration, renderSvg } from '../../tools/render/state-diagram.ts';
import { closeSqlServer, sqlServer, withScratchDatabase, type Database } from '../../tools/sql/database.ts';
import { databaseError } from '../../tools/sql/script.ts';
import {
  candidateEvents,
  createLedgerWriteModel,
  describeStatement,
  scenarioConfig,
  type LedgerWriteConfig,
  type LedgerWriteContext,
  type WriteMode,
} from '../../models/ledger-write/machine.ts';
import { chapter, ledgerPropertySeed, refundSteps } from '../../specs/02-ledger/chapter.ts';
import { exploreConfigs, type ConfigRun } from '../../specs/02-ledger/check-crash.ts';
import { crashPoints, crashThePayment, formatWriteTrace, writeModes } from '../../specs/02-ledger/crash-points.ts';
import { ledgerInvariants, ledgerStepProperties, sqlInvariants } from '../../specs/02-ledger/invariants.ts';
import { crashARealPostgres, statementsBeforeTheKill } from '../../specs/02-ledger/real-crash.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The SQL between solution markers (the answer without the task's instructions). */
function solutionRegions(text: string): string[] {
  const regions = [...text.matchAll(/^-- BEGIN SOLUTION\n([\s\S]*?)^-- END SOLUTION$/gm)];
  return regions.map((m) => m[1]!.trimEnd());
}

const sqlBlock = (sql: string) => '```sql\n' + sql.trim() + '\n```';

const show = (value: unknown): Cell => (value === null || value === undefined ? 'NULL' : String(value));

/** Run SQL on the database and print it with its outcome: the last result's rows, or the error. */
async function executed(db: Database, sql: string, caption = 'Result'): Promise<string> {
  try {
    const results = await db.exec(sql);
    const last = results.filter((r) => r.columns.length > 0).at(-1);
    if (!last) return `${sqlBlock(sql)}\n\nPostgres ran it without error.`;
    const table = last.rows.length === 0 ? '(no rows)' : markdownTable(last.columns, last.rows.map((row) => last.columns.map((c) => show(row[c]))));
    return `${sqlBlock(sql)}\n\n${caption}:\n\n${table}`;
  } catch (error) {
    await db.exec('ROLLBACK');
    const refused = databaseError(error, 'Postgres');
    return `${sqlBlock(sql)}\n\n${caption}: **refused** — ${refused instanceof Error ? refused.message : String(refused)}`;
  }
}

const balanceQuery = `SELECT a.name AS account, COALESCE(SUM(e.amount_minor), 0)::bigint AS balance_minor
FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
GROUP BY a.name ORDER BY a.name;`;

// ── The model: invariants over every configuration, the crash-point table, diagrams ──

function invariantTable(runs: ConfigRun[]): string {
  const rows = [...ledgerInvariants, ...ledgerStepProperties].map((p) => {
    const verdicts = runs.map((r) => {
      const trace = r.violated.get(p.id);
      return `${r.mode}, ${r.posting}: ${trace ? `**fails** (${trace})` : 'holds'}`;
    });
    return [p.id, p.task, p.statement, verdicts.join('; ')];
  });
  const sqlRows = sqlInvariants.map((i) => [i.id, i.task, i.statement, `on Postgres: ${i.checkedBy}`]);
  return markdownTable(['id', 'task', 'statement', 'checked'], [...rows, ...sqlRows]);
}

function figuresTable(runs: ConfigRun[]): string {
  return markdownTable(
    ['mode', 'posting', 'states', 'crash points', 'invariants violated'],
    runs.map((r) => [r.mode, r.posting, r.states, r.crashPoints, [...r.violated.keys()].join(', ') || 'none']),
    ['left', 'left', 'right', 'right', 'left'],
  );
}

/** One ledger write (no refunds), projected on what a crash there would leave. */
async function writeDiagram(mode: WriteMode): Promise<string> {
  const config: LedgerWriteConfig = { ...scenarioConfig(mode), refundAmountsMinor: [], maxRefunds: 0 };
  const events = candidateEvents(config);
  const result = explore(createLedgerWriteModel(config), { events: () => events, keepEdges: true });
  const committed = (c: LedgerWriteContext) =>
    c.committed.map((e) => `${e.account} ${e.amountMinor > 0 ? '+' : '−'}${Math.abs(e.amountMinor)}`).join(', ') || 'empty';
  const diagram = projectExploration(
    result.snapshots,
    result.edges,
    ({ value, context }) => {
      if (value === 'crashed') return `crashed\nledger: ${committed(context)}`;
      if (value === 'writing') {
        const w = context.writing!;
        return w.done === 0 ? `${w.transaction}: starting` : `after ${describeStatement(w.statements[w.done - 1]!)}`;
      }
      return `idle\nledger: ${committed(context)}`;
    },
    (type) => (type === 'NEXT_STATEMENT' ? 'next statement' : type),
  );
  diagram.title = `Alice pays Bob, ${mode === 'transaction' ? 'inside BEGIN … COMMIT' : 'in autocommit'}`;
  for (const node of diagram.nodes) {
    if (node.id.startsWith('crashed')) node.final = true;
    if (node.id === 'idle\nledger: empty') node.initial = true;
  }
  return renderSvg(diagram);
}

function crashPointTable(): string {
  const rows = crashPoints.map((point) => [
    point,
    ...writeModes.map((mode) => {
      const outcome = crashThePayment(mode, point);
      return `${outcome.survivors} (ran: ${outcome.statementsRun.join('; ') || 'nothing'})`;
    }),
  ]);
  return markdownTable(['crash', ...writeModes.map((m) => (m === 'transaction' ? 'inside BEGIN … COMMIT' : 'autocommit'))], rows);
}

// ── The key ──

export async function buildKey(): Promise<ChapterKey> {
  const read = (file: string) => readFile(join(here, file), 'utf8');
  const [schemaFile, queryFile, enforcementFile, refundsFile] = await Promise.all(
    ['2.1-schema-and-payment.sql', '2.2-unbalanced-query.sql', '2.2-enforcement.sql', '2.3-refunds.sql'].map(read),
  );
  const [schemaSql] = solutionRegions(schemaFile!);
  const [querySql] = solutionRegions(queryFile!);
  const [enforcementSql] = solutionRegions(enforcementFile!);
  const refundSql = solutionRegions(refundsFile!);
  const server = await sqlServer();

  // The tasks' own checks on these answers: the key passes what it teaches.
  const answers = await chapter.loadAnswers(here);
  const verdicts: Cell[][] = [];
  let ledgerRuns: Cell = '';
  for (const task of chapter.tasks) {
    const result = await task.check(answers);
    verdicts.push([task.id, task.title, result.status, result.message]);
    if (task.id === '2.2') ledgerRuns = result.figures?.ledgers;
  }

  const section21 = await withScratchDatabase('key_2_1', async ({ db }) =>
    [
      '## 2.1 The schema and the rows of the payment',
      '',
      'Three tables: an account per party, a transaction per business event (with the client\'s idempotency key as a unique `reference`), and entries, one per leg, with a signed `amount_minor` in integer cents. Money is never a float: `0.1 + 0.2` is not `0.3` in binary floating point, and a bigint of cents is exact up to ±92 quadrillion dollars.',
      '',
      await executed(db, schemaSql!, 'Executed'),
      '',
      'Balances are derived from the entries, never stored apart:',
      '',
      await executed(db, balanceQuery),
    ].join('\n'),
  );

  const section22 = await withScratchDatabase('key_2_2', async ({ db }) => {
    await db.exec(schemaSql!);
    const corrupt = `BEGIN;
INSERT INTO transactions (reference) VALUES ('example_missing_leg');
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -2500, 'USD' FROM transactions t, accounts a
WHERE t.reference = 'example_missing_leg' AND a.name = 'alice';`;
    const parts = [
      '## 2.2 The invariant: a query, and its enforcement at COMMIT',
      '',
      '**Invariant:** for every transaction and every currency, the entries sum to zero. Every cent that leaves one account enters another, so money is neither created nor destroyed, and the sum of all balances stays zero.',
      '',
      'The query returns the transactions that break it. Here it runs inside a transaction where a payment lost its second leg:',
      '',
      await executed(db, `${corrupt}\n\n${querySql}`),
      '',
      `Checked by fast-check on ${String(ledgerRuns)} random ledgers (seed ${ledgerPropertySeed}): balanced transactions of two to four legs in USD, EUR and JPY, some corrupted by a bad amount, a missing leg, a wrong sign or a leg in another currency. It returns exactly the corrupted ones.`,
    ];
    await db.exec('ROLLBACK');
    parts.push(
      '',
      '**Why not a CHECK constraint?** A CHECK sees one row; the invariant is about a group of rows, and Postgres refuses a subquery in a CHECK:',
      '',
      await executed(db, `ALTER TABLE entries ADD CONSTRAINT entries_balance CHECK (\n  (SELECT SUM(amount_minor) FROM entries e WHERE e.transaction_id = transaction_id) = 0\n);`),
      '',
      'Even a CHECK that called a function hiding the subquery would run as each row arrives, when the first leg is alone and the transaction is unbalanced by construction. The check must wait for the last leg: a constraint trigger, deferred to COMMIT.',
      '',
      await executed(db, enforcementSql!, 'Executed'),
      '',
      'A balanced payment written one INSERT at a time commits:',
      '',
      await executed(
        db,
        `BEGIN;
INSERT INTO transactions (reference) VALUES ('balanced_example');
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -2500, 'USD' FROM transactions t, accounts a WHERE t.reference = 'balanced_example' AND a.name = 'alice';
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, 2500, 'USD' FROM transactions t, accounts a WHERE t.reference = 'balanced_example' AND a.name = 'bob';
COMMIT;
SELECT reference FROM transactions ORDER BY id;`,
      ),
      '',
      'An unbalanced one is refused at COMMIT, and nothing of it remains:',
      '',
      await executed(db, `${corrupt}\nCOMMIT;`),
    );
    return parts.join('\n');
  });

  const section23 = await withScratchDatabase('key_2_3', async ({ db }) => {
    await db.exec(schemaSql!);
    const parts = [
      '## 2.3 Refunds as reversal entries',
      '',
      'A refund is a new transaction, linked to the payment by `refund_of`, whose entries have the opposite signs. The payment\'s rows stay as they were: the ledger is an append-only history, and the refund has its own time and reference. A deferred trigger sums the refunds of a payment and refuses any COMMIT that would take them past the original amount (it locks the original row, so that two refunds committing at once cannot both slip under the limit).',
    ];
    const captions = ['The schema for refunds', 'Bob refunds $30.00 (partial)', 'Bob refunds the remaining $70.00 (full)'];
    for (const [i, step] of refundSteps.entries()) {
      parts.push('', `### ${captions[i]} (\`-- step: ${step}\`)`, '', await executed(db, refundSql[i]!, 'Executed'));
      if (i > 0) parts.push('', await executed(db, balanceQuery, 'Balances after it'));
    }
    parts.push(
      '',
      '### A refund of one more cent',
      '',
      await executed(
        db,
        `BEGIN;
INSERT INTO transactions (reference, refund_of)
SELECT 'refund_pay_alice_bob_0001_3', id FROM transactions WHERE reference = 'pay_alice_bob_0001';
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -1, 'USD' FROM transactions t, accounts a WHERE t.reference = 'refund_pay_alice_bob_0001_3' AND a.name = 'bob';
INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, 1, 'USD' FROM transactions t, accounts a WHERE t.reference = 'refund_pay_alice_bob_0001_3' AND a.name = 'alice';
COMMIT;`,
      ),
      '',
      '### Editing the payment instead',
      '',
      await executed(db, `UPDATE entries SET amount_minor = -7000 WHERE amount_minor = -10000;`),
      '',
      'The whole history, untouched and balanced:',
      '',
      await executed(
        db,
        `SELECT t.id AS transaction_id, t.reference, t.refund_of, a.name AS account, e.amount_minor
FROM entries e JOIN transactions t ON t.id = e.transaction_id JOIN accounts a ON a.id = e.account_id
ORDER BY e.id;`,
      ),
    );
    return parts.join('\n');
  });

  const runs = exploreConfigs();
  const autocommitTrace = crashThePayment('autocommit', 'after the first INSERT').trace;
  const realCrash = await crashARealPostgres({ name: '2.1-schema-and-payment.sql', text: schemaFile! });
  const [transactionSvg, autocommitSvg] = await Promise.all([writeDiagram('transaction'), writeDiagram('autocommit')]);
  await closeSqlServer();

  const section24 = [
    '## 2.4 A crash between the two INSERTs',
    '',
    'The ledger-write model runs the payment statement by statement and crashes it at every point. What survives:',
    '',
    crashPointTable(),
    '',
    '**Without a transaction** (autocommit) each INSERT commits on its own. A crash after the first leaves Alice debited $100.00 and Bob never credited: money destroyed, and the ledger unbalanced until someone repairs it by hand. The model\'s shortest counterexample to LEDGER-2:',
    '',
    '```text\n' + formatWriteTrace(autocommitTrace) + '\n```',
    '',
    '**Inside BEGIN … COMMIT** nothing is durable before COMMIT: crash recovery replays the write-ahead log up to the last commit and discards the open transaction, so the payment is all or nothing. The client, seeing no response, retries with the same idempotency key (chapter 1), and the unique `reference` keeps the retry from posting twice.',
    '',
    '### A real crash',
    '',
    'A child process opened a file-backed Postgres (PGlite) on a fresh data directory, ran the 2.1 file, then these statements, one call each, and was killed with SIGKILL:',
    '',
    sqlBlock(statementsBeforeTheKill.map((s) => `${s};`).join('\n')),
    '',
    'Reopening the directory (Postgres recovers) shows:',
    '',
    markdownTable(['reference', 'account', 'amount_minor'], realCrash.rows.map((r) => [r.reference, show(r.account), show(r.amount_minor)])),
    '',
    `Unbalanced after recovery: ${realCrash.unbalanced.map((r) => `\`${r}\``).join(', ') || 'none'} — the autocommit payment's half; the one inside BEGIN left no trace.`,
    '',
    '### The write, as the model explores it',
    '',
    '![The ledger write inside a transaction](ledger-write-transaction.svg)',
    '',
    '![The ledger write in autocommit](ledger-write-autocommit.svg)',
  ].join('\n');

  const markdown = [
    '# Chapter 2 answer key: the double-entry ledger',
    '',
    'Generated by `npm run build` from `solutions/02-ledger/` and `models/ledger-write/`: every SQL block was executed on Postgres (PGlite) while this page was built, and its rows or error are printed below it. Do not edit by hand.',
    '',
    '## The checks on these answers',
    '',
    markdownTable(['task', 'title', 'status', 'message'], verdicts),
    '',
    '## Invariants',
    '',
    invariantTable(runs),
    '',
    'The ledger-write model, explored exhaustively (a crash point is any state where the process may die):',
    '',
    figuresTable(runs),
    '',
    section21,
    '',
    section22,
    '',
    section23,
    '',
    section24,
  ].join('\n');

  const total = runs.reduce((n, r) => n + r.states, 0);
  const points = runs.reduce((n, r) => n + r.crashPoints, 0);
  return {
    markdown,
    files: { 'ledger-write-transaction.svg': transactionSvg, 'ledger-write-autocommit.svg': autocommitSvg },
    modelFigures: { 'ledger-write': figuresTable(runs) },
    summary: `${total} states and ${points} crash points of the ledger write; ${String(ledgerRuns)} random ledgers on Postgres; a real SIGKILL mid-payment`,
  };
}
