/**
 * Grade many submissions at once: each job is one chapter of one submission, graded by
 * `gradeChapter` (a checker thread of the run's, a sandboxed process of its own), at most `concurrency` at a
 * time (default: the cores). Limits count CPU time, so running side by side does not change a
 * verdict; `npm run load-proof` measures that.
 */
import { availableParallelism } from 'node:os';
import type { ChapterEntry } from '../chapters.ts';
import { gradeChapter, type GradeOptions } from './grade-chapter.ts';
import { CheckerPool } from './checker.ts';
import type { TaskReport } from './run-task.ts';

export interface GradingJob {
  /** Who the answers are (a student's folder name): passed back with the reports. */
  owner: string;
  chapter: ChapterEntry;
  answersDir: string;
}

export async function gradeMany(
  jobs: readonly GradingJob[],
  options: GradeOptions & { concurrency?: number; onJobDone?: (job: GradingJob, reports: TaskReport[]) => void } = {},
): Promise<Map<GradingJob, TaskReport[]>> {
  const results = new Map<GradingJob, TaskReport[]>();
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  // The run's checkers: each chapter's checks loaded and prepared once per lane, not per job.
  const checkers = options.checkers ?? new CheckerPool();
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const reports = await gradeChapter(job.chapter, job.answersDir, { ...options, checkers });
      results.set(job, reports);
      options.onJobDone?.(job, reports);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  } finally {
    if (!options.checkers) await checkers.close();
  }
  return results;
}
