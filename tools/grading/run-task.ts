/**
 * Run one task's check and turn whatever happens into a result: a returned verdict, a stub's
 * "not answered yet", an answer that throws, or a check that returns something malformed.
 * Nothing a student writes escapes as an exception.
 *
 * One rule decides ERR against FAIL in every chapter: ERR when no value came back from the
 * answer (it did not load, lacks an export, threw, or was stopped at a limit: time, memory,
 * size); FAIL when it returned a value and the value is wrong (a wrong shape included). A
 * failure of the environment (a database that cannot start, a checker stopped from outside)
 * is an ERR marked `environment`, whose message says it is not the answer's fault.
 */
import { WrongShape } from './shape.ts';
import { answerCalls } from './sandbox/call.ts';
import { EnvironmentError, isNotAnswered, type Chapter, type CheckResult, type Task } from './task.ts';

export interface TaskReport extends CheckResult {
  chapter: number;
  id: string;
  title: string;
  hint: string;
  /** Time the task took (wall clock; limits count CPU time, see grade-chapter.ts). */
  ms: number;
  /** CPU time the task used (the checker's thread and the answers' process), where measured. */
  cpuMs?: number;
  /** Calls the check made into the sandboxed answers (each costs a round trip between processes). */
  answerCalls?: number;
  /** The answers' process had ended before the task called it (the grader may run the task again). */
  endedBefore?: boolean;
  /** Set when the environment failed, not the answer: the message says what to do. */
  environment?: boolean;
}

/** What a report may hold, so that no answer can fill a gradebook: longer texts are cut. */
export const reportLimits = { message: 2_000, trace: 20_000 };

const cut = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit)} … (cut at ${limit} characters)`);

/** What to do when the environment failed: the same advice wherever it is reported. */
export const environmentAdvice = 'this is not your answer\'s fault: run the check again; if it fails again, tell your instructor';

export function environmentReport(base: Omit<TaskReport, 'status' | 'message' | 'ms'>, reason: string): TaskReport {
  return { ...base, status: 'error', environment: true, message: cut(`task ${base.id}: the grading environment failed (${reason}): ${environmentAdvice}`, reportLimits.message), ms: 0 };
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
  const callsBefore = answerCalls().calls;
  const base = { chapter: chapter.number, id: task.id, title: task.title, hint: task.hint };
  let result: CheckResult;
  try {
    const threwBefore = answerCalls().throws;
    const verdict = verdictOf(await task.check(answers));
    if (!verdict) return environmentReport(base, `the check of task ${task.id} returned no verdict`);
    // A check may catch an answer's exception to show where it threw (a counterexample): still
    // an ERR, by the rule above. (Known only for sandboxed answers, which count their throws.)
    if (verdict.status === 'fail' && answerCalls().throws > threwBefore) verdict.status = 'error';
    result = verdict;
  } catch (error) {
    if (error instanceof EnvironmentError) return { ...environmentReport(base, error.message), ms: performance.now() - started };
    if (isNotAnswered(error)) result = { status: 'todo', message: `not answered yet: edit ${chapter.slug}/${task.answer ?? ''}` };
    else if ((error as Error)?.name === 'AnswerStopped') {
      // Ended before this task's call (a signal of an earlier task's, arriving late): the grader
      // may run the task again on a fresh process.
      const before = (error as { before?: boolean }).before === true;
      return { ...base, status: 'error', message: `task ${task.id}: ${(error as Error).message}`, ms: performance.now() - started, ...(before ? { endedBefore: true } : {}) };
    }
    else if (error instanceof WrongShape) result = { status: 'fail', message: `task ${task.id}: wrong shape: ${error.message}` };
    else if (/\banswers\.\w+ is not a function/.test(String((error as Error)?.message))) result = { status: 'error', message: `task ${task.id}: ${describeError(error)}` };
    else result = { status: 'error', message: `task ${task.id}: your answer threw ${describeError(error)}` };
  }
  const calls = answerCalls().calls - callsBefore;
  return { ...base, ...result, message: cut(result.message, reportLimits.message), ms: performance.now() - started, ...(calls > 0 ? { answerCalls: calls } : {}) };
}

/**
 * The known fields of a check's result, texts bounded; undefined if it is no verdict. A check
 * may quote what an answer returned, so a report is cut to a size a gradebook can hold.
 */
function verdictOf(result: CheckResult | undefined): CheckResult | undefined {
  if (!result || !statuses.has(result.status) || typeof result.message !== 'string') return undefined;
  const verdict: CheckResult = { status: result.status, message: result.message };
  if (typeof result.trace === 'string') verdict.trace = cut(result.trace, reportLimits.trace);
  if (typeof result.traceTitle === 'string') verdict.traceTitle = cut(result.traceTitle, 200);
  if (typeof result.reveal === 'string') verdict.reveal = cut(result.reveal, reportLimits.trace);
  if (result.figures && typeof result.figures === 'object') verdict.figures = result.figures;
  return verdict;
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
