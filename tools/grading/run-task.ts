/**
 * Run one task's check and turn whatever happens into a result: a returned verdict, a stub's
 * "not answered yet", an answer that throws, or a check that returns something malformed.
 * Nothing a student writes escapes as an exception.
 */
import { WrongShape } from './shape.ts';
import { EnvironmentError, isNotAnswered, type Chapter, type CheckResult, type Task } from './task.ts';

export interface TaskReport extends CheckResult {
  chapter: number;
  id: string;
  title: string;
  hint: string;
  ms: number;
}

const statuses = new Set(['pass', 'fail', 'error', 'todo']);

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const missing = /\banswers\.(\w+) is not a function/.exec(error.message);
  if (missing) return `the answers do not export a function \`${missing[1]}\` (check its name and its \`export\`)`;
  // The first stack frame in the student's file says where; the message's own lines are not frames.
  const where = error.stack
    ?.split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('at ') && /answers|\.sql/.test(line));
  // A compiler's message puts the line and column on its second line.
  const message = error.message.split('\n').filter((line) => line.trim()).slice(0, 2).join(' ');
  return `${error.name}: ${message}${where ? ` (${where})` : ''}`;
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
    if (error instanceof EnvironmentError) result = { status: 'error', message: `task ${task.id}: the environment failed, not your answer: ${error.message}` };
    else if (isNotAnswered(error)) result = { status: 'todo', message: `not answered yet: edit ${chapter.slug}/${task.answer ?? ''}` };
    else if (error instanceof WrongShape) result = { status: 'fail', message: `task ${task.id}: wrong shape: ${error.message}` };
    else if (/\banswers\.\w+ is not a function/.test(String((error as Error)?.message))) result = { status: 'error', message: `task ${task.id}: ${describeError(error)}` };
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
