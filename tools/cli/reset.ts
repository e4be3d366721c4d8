/**
 * `npm run reset -- 1.3`: put one task's answer back to its stub, as generated from the
 * reference answers by `npm run build` (the solution regions replaced by TODOs); in a student
 * release, which has no reference answers, from the pristine stubs it carries in `.stubs/`.
 *
 * Only the task's part goes: in a file several tasks share (`answers.ts`), the functions the
 * task is answered in; a file of its own (`2.1-schema-and-payment.sql`) as a whole. When the
 * part cannot be cut out safely, the whole file is restored and the command says so. Whatever
 * it replaces is copied first to `.tmp/reset-backups/`, so a reset by mistake loses nothing.
 *
 *   npm run reset -- 1.3 [--answers <dir>]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { chapterEntries, pristineStubsDir, repoRoot, solutionsDir } from '../chapters.ts';
import { hasSolutionMarkers, languageOf, stripSolutions } from '../build/stubs.ts';
import { resetFunctions } from './stub-parts.ts';
import { findTask, loadTaskList, type TaskInfo } from './task-list.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage: npm run reset -- <task> [--answers <dir>], e.g. npm run reset -- 1.3', {
  allowPositionals: true,
  options: { answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') } },
});

const usage = 'usage: npm run reset -- <task> [--answers <dir>], e.g. npm run reset -- 1.3';
const stop = (message: string): never => {
  console.error(message);
  process.exit(2);
};
if (positionals.length !== 1) stop(usage);

const tasks = await loadTaskList();
const task: TaskInfo = (() => {
  try {
    return findTask(tasks, positionals[0]!);
  } catch (error) {
    return stop(`${(error as Error).message}\n${usage}`);
  }
})();
const answersRoot = resolve(values.answers!);
if (chapterEntries.some((entry) => resolve(solutionsDir(entry)) === answersRoot || resolve(solutionsDir(entry), '..') === answersRoot)) {
  stop('refusing to reset the reference answers in solutions/');
}
const dir = basename(answersRoot) === task.chapter.slug ? answersRoot : join(answersRoot, task.chapter.slug);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const shown = (path: string) => relative(process.cwd(), path) || path;

/** The fresh stub of one answer file: from its reference answer, or a release's pristine copy. */
function freshStub(file: string): string {
  const reference = join(solutionsDir(task.chapter), file);
  const language = languageOf(file);
  if (language && existsSync(reference) && hasSolutionMarkers(readFileSync(reference, 'utf8'))) {
    return stripSolutions(readFileSync(reference, 'utf8'), language, reference);
  }
  const pristine = join(pristineStubsDir, task.chapter.slug, file);
  if (existsSync(pristine)) return readFileSync(pristine, 'utf8');
  return stop(`task ${task.id}: no stub for ${file} (neither solutions/${task.chapter.slug}/${file} with solution markers nor ${relative(repoRoot, pristine)})`);
}

for (const part of task.parts) {
  const stub = freshStub(part.file);
  const target = join(dir, part.file);
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(target, stub);
    console.log(`${shown(target)}: written from its stub (it was missing)`);
    continue;
  }
  const current = readFileSync(target, 'utf8');
  if (current === stub) {
    console.log(`${shown(target)}: already the stub, nothing to reset`);
    continue;
  }
  const sharers = tasks.filter((t) => t !== task && t.chapter === task.chapter && t.parts.some((p) => p.file === part.file)).map((t) => t.id);
  let text = stub;
  let what = `${shown(target)}: restored from its stub`;
  if (part.functions.length) {
    const cut = resetFunctions(current, stub, part.functions);
    if (cut.ok) {
      text = cut.text;
      what = `${shown(target)}: ${part.functions.map((f) => `${f}()`).join(' and ')} restored from the stub; the rest of the file is unchanged`;
    } else if (sharers.length) {
      what += ` as a whole, because ${cut.reason}: your answers to ${sharers.join(', ')} in it were reset too`;
    }
  } else if (sharers.length) {
    what += ` as a whole: it also holds your answers to ${sharers.join(', ')}, reset too`;
  }
  if (text === current) {
    console.log(`${shown(target)}: task ${task.id}'s part is already the stub, nothing to reset`);
    continue;
  }
  const backup = join(repoRoot, '.tmp', 'reset-backups', stamp, task.chapter.slug, part.file);
  mkdirSync(join(backup, '..'), { recursive: true });
  copyFileSync(target, backup);
  writeFileSync(target, text);
  console.log(`${what} (the previous version is in ${shown(backup)})`);
}
