/**
 * Run one task's check and turn whatever happens into a result: a returned verdict, a stub's
 * "not answered yet", an answer that throws, or a check that returns something malformed.
 * Nothing a student writes escapes as an exception.
 */
import { WrongShape } from './shape.ts';
import { isNotAnswered, type Chapter, type CheckResult, type Task } from './task.ts';

export interface TaskReport extends CheckResult {
  chapter: number;
  id: string;
  title: string;
  hint: string;
  ms: number;
}

const statuses = new Set(['pass', 'fail', 'error', 'todo']);

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const where = error.stack?.split('\n').find((line) => /answers|\.sql/.test(line))?.trim();
    return `${error.name}: ${error.message}${where ? ` (${where})` : ''}`;
  }
  return String(error);
}

export async function runTask<A>(chapter: Pick<Chapter<A>, 'number' | 'slug'>, task: Task<A>, answers: A): Promise<TaskReport> {
  const started = performance.now();
  const base = { chapter: chapter.number, id: task.id, title: task.title, hint: task.hint };
  let result: CheckResult;
  try {
    result = await task.check(answers);
    if (!result || !statuses.has(result.status) || typeof result.message !== 'string') {
      result = { status: 'error', message: `task ${task.id}: the check returned no verdict` };
    }
  } catch (error) {
    if (isNotAnswered(error)) result = { status: 'todo', message: `not answered yet: edit ${chapter.slug}/${task.answer ?? ''}` };
    else if (error instanceof WrongShape) result = { status: 'fail', message: `task ${task.id}: wrong shape: ${error.message}` };
    else result = { status: 'error', message: `task ${task.id}: your answer threw ${describeError(error)}` };
  }
  return { ...base, ...result, ms: performance.now() - started };
}

/** Load a chapter's answers; a module that does not load fails every task with the reason. */
export async function loadAnswersOrReport<A>(
  chapter: Chapter<A>,
  dir: string,
): Promise<{ answers: A } | { reports: TaskReport[] }> {
  try {
    return { answers: await chapter.loadAnswers(dir) };
  } catch (error) {
    const message = `chapter ${chapter.number}: the answers in ${dir} do not load: ${describeError(error)}`;
    return {
      reports: chapter.tasks.map((task) => ({
        chapter: chapter.number,
        id: task.id,
        title: task.title,
        hint: task.hint,
        status: 'error' as const,
        message,
        ms: 0,
      })),
    };
  }
}
