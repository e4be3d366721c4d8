/**
 * Grade many submissions at once: each job is one chapter of one submission, graded by
 * `gradeChapter` (its own checker thread and sandboxed process), at most `concurrency` at a
 * time (default: the cores). Limits count CPU time, so running side by side does not change a
 * verdict; `npm run load-proof` measures that.
 */
import { availableParallelism } from 'node:os';
import type { ChapterEntry } from '../chapters.ts';
import { gradeChapter, type GradeOptions } from './grade-chapter.ts';
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
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const reports = await gradeChapter(job.chapter, job.answersDir, options);
      results.set(job, reports);
      options.onJobDone?.(job, reports);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
  return results;
}
