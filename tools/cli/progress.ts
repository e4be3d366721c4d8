/**
 * The student's progress across every task, as rustlings keeps it: each `check` records the
 * verdicts of the chapters it ran, with a fingerprint of the chapter's answer files, so that a
 * progress line over all chapters can be shown after checking only one. A chapter whose files
 * changed since its last check counts as not passing until it is checked again: the line never
 * claims a pass the current answers have not earned.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../chapters.ts';
import { fingerprint } from '../grading/fingerprint.ts';
import type { TaskStatus } from '../grading/task.ts';
import type { TaskInfo } from './task-list.ts';

export { fingerprint };

export interface ChapterRecord {
  fingerprint: string;
  checkedAt: string;
  tasks: Record<string, TaskStatus>;
}

export interface ProgressRecord {
  answersRoot: string;
  chapters: Record<string, ChapterRecord>;
  /** Tasks whose trace past the value to predict was shown (`--reveal`), and when first: kept for good. */
  revealed?: Record<string, string>;
}

/** One record per answers folder, outside it (the student's folder holds only their answers). */
export function progressFile(answersRoot: string): string {
  const name = createHash('sha256').update(answersRoot).digest('hex').slice(0, 16);
  return join(repoRoot, '.tmp', 'progress', `${name}.json`);
}

export function readProgress(answersRoot: string): ProgressRecord {
  try {
    const record = JSON.parse(readFileSync(progressFile(answersRoot), 'utf8')) as ProgressRecord;
    if (record && typeof record.chapters === 'object') return record;
  } catch {
    // none yet, or unreadable: start afresh
  }
  return { answersRoot, chapters: {} };
}

export function recordChapter(answersRoot: string, slug: string, chapter: ChapterRecord, revealed: readonly string[] = []): ProgressRecord {
  const record = readProgress(answersRoot);
  record.chapters[slug] = chapter;
  record.revealed ??= {};
  for (const id of revealed) record.revealed[id] ??= new Date().toISOString();
  const file = progressFile(answersRoot);
  mkdirSync(join(file, '..'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2) + '\n');
  renameSync(temporary, file);
  return record;
}

export type Standing = TaskStatus | 'unchecked' | 'changed';

/** Each task's standing: the last verdict, unless its chapter was never checked or changed since. */
export function standings(tasks: readonly TaskInfo[], record: ProgressRecord, chapterDir: (slug: string) => string): Map<string, Standing> {
  const current = new Map<string, string>();
  const result = new Map<string, Standing>();
  for (const task of tasks) {
    const slug = task.chapter.slug;
    const chapter = record.chapters[slug];
    if (!current.has(slug)) current.set(slug, fingerprint(chapterDir(slug)));
    const status = chapter?.tasks[task.id];
    result.set(task.id, !chapter || !status ? 'unchecked' : chapter.fingerprint !== current.get(slug) ? 'changed' : status);
  }
  return result;
}

/** The first task, in the book's order, that does not pass. */
export function nextTask(tasks: readonly TaskInfo[], standing: Map<string, Standing>): TaskInfo | undefined {
  return tasks.find((task) => standing.get(task.id) !== 'pass');
}
