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
import { crashARealPostgres, crashTheApplication, statementsBeforeTheKill } from '../../specs/02-ledger/real-crash.ts';
import { raceScenarios, raceSessions, racePayment, runRace } from '../../specs/02-ledger/check-concurrent-refunds.ts';
import { answerFigures, dollars, ledgerScenario } from '../../specs/02-ledger/scenario.ts';
import { ledgerPropertyRuns, ledgerPropertyRunsAlone } from '../../specs/02-ledger/check-invariant.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The key's refund guard with its claim row swapped for a FOR UPDATE lock on the payment's row. */
function lockThePaymentRow(refundSchema: string): string {
  const claim = /  INSERT INTO refund_claims [^\n]*\n  UPDATE refund_claims [^\n]*\n/;
  if (!claim.test(refundSchema)) throw new Error('the key\'s refund guard no longer has its refund_claims statements: update lockThePaymentRow');
  return refundSchema.replace(claim, '  PERFORM 1 FROM transactions WHERE id = original_id FOR UPDATE;\n');
}

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
      'Three tables: an account per party, a transaction per business event (with the client\'s idempotency key as a unique `reference`), and entries, one per leg, with a signed `amount_minor` in integer minor units of the entry\'s currency. Money is never a float: `0.1 + 0.2` is not `0.3` in binary floating point. `numeric` would be exact (PostgreSQL manual §8.1.2), but `numeric(12,2)` fixes two decimals where ISO 4217 gives JPY none and KWD three; a bigint of minor units fits every currency and is exact up to 9,223,372,036,854,775,807 of them. The composite foreign key `(account_id, currency) REFERENCES accounts (id, currency)` makes Postgres refuse an entry in another currency than its account\'s.',
      '',
      await executed(db, schemaSql!, 'Executed'),
      '',
      'Balances are derived from the entries, never stored apart:',
      '',
      await executed(db, balanceQuery),
      '',
      'An entry of EUR on Alice\'s USD account is refused by the foreign key:',
      '',
      await executed(
        db,
        `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -100, 'EUR' FROM transactions t, accounts a
WHERE t.reference = 'pay_alice_bob_0001' AND a.name = 'alice';`,
      ),
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
      `Checked on ${String(ledgerRuns)} random ledgers from fast-check (seed ${ledgerPropertySeed}): balanced transactions of two to four legs in USD, EUR and JPY, some corrupted by a bad amount, a missing leg, a wrong sign or a leg in another currency. All of them are written together and the query must return exactly the corrupted ones; then ${ledgerPropertyRunsAlone} of them are checked one at a time, and a failure is shrunk to the smallest ledger where the query is wrong.`,
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
      '',
      'Posted entries are immutable. An UPDATE that doubles both legs keeps the payment balanced, so the deferred check cannot see it; the append-only trigger refuses it (a DELETE likewise):',
      '',
      await executed(db, `UPDATE entries SET amount_minor = amount_minor * 2\nWHERE transaction_id = (SELECT id FROM transactions WHERE reference = 'balanced_example');`),
    );
    return parts.join('\n');
  });

  const section23 = await withScratchDatabase('key_2_3', async ({ db }) => {
    // The ledger as it stands after 2.2: balanced at COMMIT, entries append-only.
    await db.exec(schemaSql!);
    await db.exec(enforcementSql!);
    const parts = [
      '## 2.3 Refunds as reversal entries',
      '',
      'A refund is a new transaction, linked to the payment by `refund_of`, whose entries reverse the payment\'s own legs: same accounts, same currency, opposite signs. The payment\'s rows stay as they were: the ledger is an append-only history, and the refund has its own time and reference. A deferred trigger refuses at COMMIT a leg that reverses no leg of the original, refunds that together reverse more than the original moved on an account, and a refund of a refund.',
      '',
      'Concurrent refunds meet on one row per refunded payment (`refund_claims`), which every refund updates before its check. At READ COMMITTED the second refund waits for the first to commit, then its check sees the first refund: each statement of a VOLATILE function (a trigger function is one by default) takes a fresh snapshot (PostgreSQL manual §38.7, "Function Volatility Categories"), and at READ COMMITTED a fresh snapshot sees every commit before it (§13.2.1). At REPEATABLE READ its UPDATE of a row that a concurrent transaction changed and committed fails with a serialization failure, SQLSTATE 40001 (PostgreSQL manual §13.2.2); the application retries the whole refund, which then sees the first. Locking the payment\'s own row with `SELECT … FOR UPDATE` instead deadlocks: each refund\'s foreign key on `refund_of` holds FOR KEY SHARE on that row, and FOR UPDATE conflicts with FOR KEY SHARE while FOR NO KEY UPDATE does not (PostgreSQL manual §13.3.2, table "Conflicting Row-Level Locks"). FOR NO KEY UPDATE avoids the deadlock, but at REPEATABLE READ a lock alone (a row lock, or an advisory lock, §13.3.5) does not refresh the snapshot the check reads, which is the transaction\'s first (§13.2.2): two ' + dollars(ledgerScenario.raceOverRefundMinor) + ' refunds of ' + dollars(racePayment) + ' then both commit.',
    ];
    const { paymentMinor, partialRefundMinor } = answerFigures;
    const captions = ['The schema for refunds', `Bob refunds ${dollars(partialRefundMinor)} (partial)`, `Bob refunds the remaining ${dollars(paymentMinor - partialRefundMinor)} (full)`];
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

  const raceSection = await withScratchDatabase('key_2_3_race', async (scratch) => {
    await scratch.db.exec(schemaSql!);
    await scratch.db.exec(refundSql[0]!);
    const sessions = await raceSessions(scratch);
    const over = raceScenarios.find((r) => r.legitimate === 1)!;
    const parts = [
      '### Two refunds at once',
      '',
      `Two sessions, A and B, each refund ${dollars(over.refunds[0])} of one ${dollars(racePayment)} payment; both write before either is checked, and the driver runs each step and asks the server (\`pg_blocking_pids\`) whether the session waits for a lock. What the check of 2.3 saw with the guard above:`,
    ];
    for (const level of ['READ COMMITTED', 'REPEATABLE READ']) {
      const run = await runRace(scratch, sessions, level, over, `race_${level === 'READ COMMITTED' ? 'rc' : 'rr'}`, 'USD');
      parts.push('', `At ${level}:`, '', '```text\n' + run.trace.join('\n') + '\n```');
    }
    await Promise.all([...sessions.values()].map((s) => s.close()));
    return parts.join('\n');
  });

  // The same guard, its claim row replaced by a lock on the payment's own row: the design
  // this chapter warns against, run for real so that the deadlock below is a trace, not a story.
  const forUpdateGuard = lockThePaymentRow(refundSql[0]!);
  const deadlockSection = await withScratchDatabase('key_2_3_deadlock', async (scratch) => {
    await scratch.db.exec(schemaSql!);
    await scratch.db.exec(forUpdateGuard);
    const sessions = await raceSessions(scratch);
    const legitimate = raceScenarios.find((r) => r.legitimate === 2)!;
    const run = await runRace(scratch, sessions, 'READ COMMITTED', legitimate, 'race_for_update', 'USD');
    await Promise.all([...sessions.values()].map((s) => s.close()));
    if (!run.deadlock) throw new Error('the key expected the FOR UPDATE guard to deadlock, and it did not: rewrite the text around it');
    return [
      '### The same race with `SELECT … FOR UPDATE` on the payment',
      '',
      `The guard above with its \`refund_claims\` row replaced by \`PERFORM 1 FROM transactions WHERE id = original_id FOR UPDATE\`, two ${dollars(legitimate.refunds[0]!)} refunds (both legitimate) at READ COMMITTED. Each refund's INSERT already holds FOR KEY SHARE on the payment's row (its foreign key on \`refund_of\`); each FOR UPDATE then waits for the other's FOR KEY SHARE:`,
      '',
      '```text\n' + run.trace.join('\n') + '\n```',
      '',
      'The driver sees the cycle at once and cancels one session, as the server would. A server left alone aborts one of them with SQLSTATE 40P01 once `deadlock_timeout` (1 s by default) has passed, and the other goes on (PostgreSQL manual §13.3.4, "Deadlocks", and §20.12, "Lock Management"): a legitimate refund fails, and every refund of that payment waits a second first.',
    ].join('\n');
  });

  const runs = exploreConfigs();
  const autocommitTrace = crashThePayment('autocommit', 'after the first INSERT').trace;
  const realCrash = await crashARealPostgres({ name: '2.1-schema-and-payment.sql', text: schemaFile! });
  const applicationCrash = await crashTheApplication({ name: '2.1-schema-and-payment.sql', text: schemaFile! });
  const oneLegAlone = await withScratchDatabase('key_2_4', async ({ db }) => {
    await db.exec(schemaSql!);
    await db.exec(enforcementSql!);
    return executed(db, `${statementsBeforeTheKill[0]};\n${statementsBeforeTheKill[1]};`);
  });
  const [transactionSvg, autocommitSvg] = await Promise.all([writeDiagram('transaction'), writeDiagram('autocommit')]);
  await closeSqlServer();

  const section24 = [
    '## 2.4 A crash between the two INSERTs',
    '',
    'The ledger-write model runs the payment statement by statement and crashes it at every point. What survives:',
    '',
    crashPointTable(),
    '',
    '**Without a transaction** (autocommit) each INSERT commits on its own. A crash after the first leaves Alice debited ' + dollars(answerFigures.paymentMinor) + ' and Bob never credited: money destroyed, and the ledger unbalanced until someone repairs it by hand. The model\'s shortest counterexample to LEDGER-2:',
    '',
    '```text\n' + formatWriteTrace(autocommitTrace) + '\n```',
    '',
    '**Inside BEGIN … COMMIT** nothing is durable before COMMIT: crash recovery replays the write-ahead log up to the last commit and discards the open transaction, so the payment is all or nothing. The client, seeing no response, retries with the same idempotency key (chapter 1), and the unique `reference` keeps the retry from posting twice.',
    '',
    '### A real crash',
    '',
    'A PostgreSQL server (the embedded one, with its default durability settings) ran the 2.1 file, then these statements, one call each; then its postmaster was killed with SIGKILL, as a power cut or the kernel\'s OOM killer would stop it:',
    '',
    sqlBlock(statementsBeforeTheKill.map((s) => `${s};`).join('\n')),
    '',
    'Restarted on the same data directory, PostgreSQL replays its write-ahead log up to the last commit (PostgreSQL manual §30.3, "Write-Ahead Logging (WAL)"); the ledger then holds:',
    '',
    markdownTable(['reference', 'account', 'amount_minor'], realCrash.rows.map((r) => [r.reference, show(r.account), show(r.amount_minor)])),
    '',
    `Unbalanced after recovery: ${realCrash.unbalanced.map((r) => `\`${r}\``).join(', ') || 'none'} — the autocommit payment's half; the one inside BEGIN left no trace.`,
    '',
    '### With 2.2\'s enforcement, autocommit cannot even start the half-payment',
    '',
    'Outside BEGIN every statement is a transaction of its own, committed as it ends (PostgreSQL manual, `BEGIN`: "By default (without BEGIN), PostgreSQL executes transactions in autocommit mode"). With the deferred balance trigger of 2.2 installed, Alice\'s leg written alone reaches its implicit COMMIT unbalanced, and is refused there, before any crash:',
    '',
    oneLegAlone,
    '',
    'The database itself now forbids the autocommit design: the crash that would have destroyed ' + dollars(answerFigures.paymentMinor) + ' finds nothing to keep.',
    '',
    '### The application dies, not the server',
    '',
    `A process opened BEGIN, wrote the payment\'s header and Alice\'s leg, and was killed with SIGKILL. Before the kill the server listed its session as \`${applicationCrash.stateBefore}\`; the kernel then closed its socket, the backend read end-of-file and rolled the transaction back: the session ${applicationCrash.sessionLeft ? 'was still listed' : 'was gone'}, and the ledger holds ${applicationCrash.references.map((r) => `\`${r}\``).join(', ')} only.`,
    '',
    'When the connection does not close but hangs half-open (a network partition, a frozen process), the server cannot tell: the session stays "idle in transaction", holding its row locks (a refund of the same payment waits behind it), until TCP keepalives give up or `idle_in_transaction_session_timeout` ends it (PostgreSQL manual §20.11, "Client Connection Defaults"; the checks here set it for every session). Set it in production, and keep transactions short.',
    '',
    '### The ambiguous commit',
    '',
    'The client sends COMMIT and the connection breaks before the reply arrives. The payment may have committed or not, and the client cannot know from the error alone. Two ways out: retry with the same idempotency key, so that the unique `reference` refuses a second posting if the first committed (chapter 1); or record the transaction id (`pg_current_xact_id()`) before COMMIT and ask `pg_xact_status()` afterwards (PostgreSQL manual §9.26, "Transaction ID and Snapshot Information Functions"). Never retry a payment without a key: the ambiguity becomes a double charge.',
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
    `Generated by \`npm run build\` from \`solutions/02-ledger/\` and \`models/ledger-write/\`: every SQL block was executed on PostgreSQL ${server.version} (${server.kind === 'embedded' ? 'the embedded server from npm' : 'the server in DATABASE_URL'}) while this page was built, and its rows or error are printed below it. Do not edit by hand.`,
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
    raceSection,
    '',
    deadlockSection,
    '',
    section24,
  ].join('\n');

  const total = runs.reduce((n, r) => n + r.states, 0);
  const points = runs.reduce((n, r) => n + r.crashPoints, 0);
  return {
    markdown,
    files: { 'ledger-write-transaction.svg': transactionSvg, 'ledger-write-autocommit.svg': autocommitSvg },
    modelFigures: { 'ledger-write': figuresTable(runs) },
    summary: `${total} states and ${points} crash points of the ledger write; ${String(ledgerRuns)} random ledgers and concurrent refunds on PostgreSQL; a real SIGKILL mid-payment`,
    textValues: { postgresVersion: server.version, ...scenarioTextValues() },
  };
}

/** The chapter text's scenario figures, from specs/02-ledger/scenario.ts (variants included). */
export function scenarioTextValues(): Record<string, string> {
  const { paymentMinor, partialRefundMinor } = answerFigures;
  const { secondPaymentMinor, overRefundExcessMinor } = ledgerScenario;
  return {
    payment: dollars(paymentMinor),
    paymentMinor: String(paymentMinor),
    partialRefund: dollars(partialRefundMinor),
    afterPartialRefundMinor: String(paymentMinor - partialRefundMinor),
    restRefund: dollars(paymentMinor - partialRefundMinor),
    secondPayment: dollars(secondPaymentMinor),
    overRefundOfSecond: dollars(secondPaymentMinor + overRefundExcessMinor),
    ledgerRuns: String(ledgerPropertyRuns),
    racePayment: dollars(racePayment),
    raceLegitimateRefund: dollars(raceScenarios.find((r) => r.legitimate === 2)!.refunds[0]!),
    raceOverRefund: dollars(raceScenarios.find((r) => r.legitimate === 1)!.refunds[0]!),
  };
}
