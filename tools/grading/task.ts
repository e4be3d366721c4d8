/**
 * What a chapter gives the grader: its tasks, each with one check.
 *
 * A check is written once and serves twice: `npm test` runs it against the reference
 * answers in `solutions/` (so the key passes its own checks), and the grader runs it
 * against a student's answers in `exercises/` or any folder given with `--answers`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type TaskStatus = 'pass' | 'fail' | 'error' | 'todo';

/** What a check says of one answer. */
export interface CheckResult {
  status: TaskStatus;
  /** One line: why it passed or failed. */
  message: string;
  /** On fail: the counterexample or the model's trace, readable as plain text. */
  trace?: string;
  /** The heading printed above the trace (default: "what the model does"). */
  traceTitle?: string;
  /** Figures of the check (states explored, random runs, seed), for reports. */
  figures?: Record<string, number | string>;
  /**
   * The rest of the trace past the decisive step, for a prediction task whose trace would
   * otherwise end on the value the student is asked to predict: shown only with `--reveal`
   * (and the JSON report records that it was shown).
   */
  reveal?: string;
}

/**
 * Thrown by a check (or a chapter's `prepare`) when the environment failed — a database that
 * cannot start or connect, a worker killed from outside — so that the task is reported as
 * the environment's problem with what to do, never as the student's.
 */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

export interface Task<TAnswers> {
  /** `1.1`, `2.3`, … as in the exercise text. */
  id: string;
  title: string;
  /** Printed when the task is not yet passing. */
  hint: string;
  /** Where the student answers it, e.g. `answers.ts: retryWithoutKeys()`. */
  answer?: string;
  /**
   * Tasks whose answers this check also runs (2.2 runs the schema of 2.1). If one of them
   * did not finish in time, this task is failed at once instead of waiting out its own limit.
   */
  dependsOn?: readonly string[];
  /** Judge the answers; may throw (a student answer that throws is reported, not fatal). */
  check: (answers: TAnswers) => CheckResult | Promise<CheckResult>;
}

export interface Chapter<TAnswers> {
  number: number;
  /** Folder name under `exercises/` and `solutions/`, e.g. `01-idempotency`. */
  slug: string;
  title: string;
  tasks: readonly Task<TAnswers>[];
  /** Load the answers from a chapter folder (by default its `answers.ts`). */
  loadAnswers: (chapterDir: string) => Promise<TAnswers>;
  /**
   * Shared set-up (starting a database, exploring a model) run once before any task's clock
   * starts, so that it never counts against an answer's time; throws `EnvironmentError`
   * when the environment cannot provide it.
   */
  prepare?: () => Promise<void>;
  /** Releases what `prepare` (or the tasks) set up. */
  close?: () => Promise<void>;
}

/** The error a student stub throws until the task is answered (the stub generator writes it). */
export const NOT_ANSWERED = 'not answered yet';

export function isNotAnswered(error: unknown): boolean {
  return error instanceof Error && error.message.includes(NOT_ANSWERED);
}

export const pass = (message: string, extra: Omit<CheckResult, 'status' | 'message'> = {}): CheckResult => ({
  status: 'pass',
  message,
  ...extra,
});

export const fail = (message: string, extra: Omit<CheckResult, 'status' | 'message'> = {}): CheckResult => ({
  status: 'fail',
  message,
  ...extra,
});

/** The usual `loadAnswers`: the chapter folder's `answers.ts` module, as the answers. */
export async function importAnswersModule<TAnswers>(chapterDir: string): Promise<TAnswers> {
  return (await import(pathToFileURL(join(chapterDir, 'answers.ts')).href)) as TAnswers;
}
