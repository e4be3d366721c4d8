/**
 * Every task of the workbook, in order, with where it is answered: read from the chapters'
 * own task lists (trusted code; no student answer is loaded here), for the progress view,
 * `hint` and `reset`.
 */
import { pathToFileURL } from 'node:url';
import { chapterEntries, chapterModule, type ChapterEntry } from '../chapters.ts';
import type { Chapter } from '../grading/task.ts';

export interface AnswerPart {
  /** A file of the chapter's folder, e.g. `answers.ts` or `2.1-schema-and-payment.sql`. */
  file: string;
  /** The functions of that file the task is answered in (none: the whole file). */
  functions: string[];
}

export interface TaskInfo {
  chapter: ChapterEntry;
  id: string;
  title: string;
  hint: string;
  /** As the chapter writes it: `answers.ts: breakerThresholds() and breakerStep()`. */
  answer: string;
  parts: AnswerPart[];
}

/** `a.sql, answers.ts: f() and g()` → [{ a.sql, [] }, { answers.ts, [f, g] }]. */
export function parseAnswer(answer: string): AnswerPart[] {
  return answer
    .split(/,\s*(?=[\w.-]+\.(?:ts|sql)\b)/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [file, rest = ''] = part.split(/:\s*/, 2) as [string, string?];
      return { file: file.trim(), functions: [...rest.matchAll(/(\w+)\s*\(\)/g)].map((m) => m[1]!) };
    });
}

export async function loadTaskList(entries: readonly ChapterEntry[] = chapterEntries): Promise<TaskInfo[]> {
  const all: TaskInfo[] = [];
  for (const entry of entries) {
    const { chapter } = (await import(pathToFileURL(chapterModule(entry)).href)) as { chapter: Chapter<unknown> };
    for (const task of chapter.tasks) {
      const answer = task.answer ?? 'answers.ts';
      all.push({ chapter: entry, id: task.id, title: task.title, hint: task.hint, answer, parts: parseAnswer(answer) });
    }
  }
  return all;
}

/** The task named `1.3` (or `01.3`), or an error naming the tasks there are. */
export function findTask(tasks: readonly TaskInfo[], id: string): TaskInfo {
  const wanted = id.trim().replace(/^0+(?=\d)/, '');
  const task = tasks.find((t) => t.id === wanted);
  if (!task) throw new Error(`no task "${id}"; the tasks are ${tasks.map((t) => t.id).join(', ')}`);
  return task;
}
