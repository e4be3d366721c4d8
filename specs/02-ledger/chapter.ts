/**
 * Chapter 2: the double-entry ledger. Alice pays Bob $100.00.
 *
 * Every answer is SQL that really runs, on a real PostgreSQL server (the embedded 15.18 from
 * npm, or the server in DATABASE_URL). Each check works in an empty schema owned by a role of
 * its own, so a broken answer to one task never spoils the next; the student's 2.1 schema is
 * the ground every later task runs on.
 */
import type { Chapter, Task } from '../../tools/grading/task.ts';
import { closeSqlServer, sqlServer } from '../../tools/sql/database.ts';
import { answerFiles, chapterSlug, readSql, loadPrediction } from './answer-files.ts';
import type { LedgerAnswers } from './answer-files.ts';
import { checkSchemaAndPayment } from './check-schema.ts';
import { checkInvariantAndEnforcement } from './check-invariant.ts';
import { checkRefunds } from './check-refunds.ts';
import { checkCrashPrediction } from './check-crash.ts';

const tasks: readonly Task<LedgerAnswers>[] = [
  {
    id: '2.1',
    answer: answerFiles.schemaAndPayment,
    title: 'The schema and the rows of the payment',
    hint: 'Which column type holds a whole number of minor units exactly, for yen (no minor digits) as for dinars (three)? And how could the database itself stop an entry from being in another currency than its account?',
    check: checkSchemaAndPayment,
  },
  {
    id: '2.2',
    answer: `${answerFiles.unbalancedQuery}, ${answerFiles.enforcement}`,
    title: 'The invariant: a query, and its enforcement at COMMIT',
    hint: 'When has the last leg of a transaction arrived, and what in Postgres can wait until then? Once a payment is posted, what should happen to a statement that edits or deletes its entries?',
    dependsOn: ['2.1'],
    check: checkInvariantAndEnforcement,
  },
  {
    id: '2.3',
    answer: answerFiles.refunds,
    title: 'Refunds as reversal entries',
    hint: 'What makes a refund a reversal of this payment rather than any balanced transfer? When two refunds of one payment are checked at the same moment, what does each see of the other, and what must both of them touch?',
    dependsOn: ['2.1'],
    check: checkRefunds,
  },
  {
    id: '2.4',
    answer: `${answerFiles.prediction}: whatSurvivesACrash()`,
    title: 'A crash between the two INSERTs',
    hint: 'When is an INSERT written outside BEGIN committed? What does Postgres do, on restart, with a transaction that never committed?',
    check: checkCrashPrediction,
  },
];

export const chapter: Chapter<LedgerAnswers> = {
  number: 2,
  slug: chapterSlug,
  title: 'The double-entry ledger',
  tasks,
  async loadAnswers(chapterDir) {
    // Where the grader does not call prepare(), the server still starts outside a task's
    // clock: here, while the answers load. A failure is reported by the first task that needs it.
    await sqlServer().catch(() => undefined);
    return {
      schemaAndPayment: await readSql(chapterDir, answerFiles.schemaAndPayment),
      unbalancedQuery: await readSql(chapterDir, answerFiles.unbalancedQuery),
      enforcement: await readSql(chapterDir, answerFiles.enforcement),
      refunds: await readSql(chapterDir, answerFiles.refunds),
      whatSurvivesACrash: await loadPrediction(chapterDir),
    };
  },
  // The server starts (or DATABASE_URL is reached) before any task's clock: its start-up is
  // never an answer's time, and a server that cannot start is an EnvironmentError.
  async prepare() {
    await sqlServer();
  },
  close: closeSqlServer,
};

// What the tests and the answer key use, from one place.
export { answerFiles, refundSteps, type LedgerAnswers } from './answer-files.ts';
export { checkUnbalancedQuery, ledgerPropertyRuns, ledgerPropertySeed } from './check-invariant.ts';
export { exploreEveryConfig } from './check-crash.ts';
