/**
 * Chapter 2's answers: the student's files in a chapter folder, and how they are read.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NOT_ANSWERED, type CheckResult } from '../../tools/grading/task.ts';
import { type SqlSource } from '../../tools/sql/script.ts';
import { type CrashPoint, type Survivors } from './crash-points.ts';
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

/** The chapter's folder under exercises/ and solutions/. */
export const chapterSlug = '02-ledger';

/**
 * A task answered in several files, some of them still stubs: TODO, naming those files only.
 * (The grader, given a thrown NOT_ANSWERED, names every file of the task.) Worded as the
 * grader words its own TODO.
 */
export const notAnswered = (files: readonly string[]): CheckResult => ({
  status: 'todo',
  message: `${NOT_ANSWERED}: edit ${files.map((file) => `${chapterSlug}/${file}`).join(', ')}`,
});

/** The steps of the refunds file, in the order they run. */
export const refundSteps = ['refund-schema', 'partial-refund', 'refund-the-rest'] as const;

// ── Loading a chapter folder ──

export async function readSql(dir: string, file: string): Promise<SqlSource> {
  // A missing file reads as empty: the task reports it as not answered.
  const text = await readFile(join(dir, file), 'utf8').catch(() => '');
  return { name: file, text };
}

export async function loadPrediction(dir: string): Promise<LedgerAnswers['whatSurvivesACrash']> {
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
