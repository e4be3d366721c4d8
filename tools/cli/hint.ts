/**
 * `npm run hint -- 1.3`: the hint of one task, as rustlings' `hint` command prints it; with no
 * task, the hint of the next task to do (the first not passing at its last check).
 * Nothing is run: a hint is a question to think about, never the answer.
 */
import { join, resolve } from 'node:path';
import { repoRoot } from '../chapters.ts';
import { nextTask, readProgress, standings } from './progress.ts';
import { findTask, loadTaskList } from './task-list.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage: npm run hint [-- <task>], e.g. npm run hint -- 1.3', {
  allowPositionals: true,
  options: { answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') } },
});

const tasks = await loadTaskList();
const answersRoot = resolve(values.answers!);
try {
  const task = positionals.length
    ? findTask(tasks, positionals[0]!)
    : nextTask(tasks, standings(tasks, readProgress(answersRoot), (slug) => join(answersRoot, slug)));
  if (!task) console.log('Every task passes: no hint needed.');
  else console.log(`${task.id} ${task.title} (${task.answer})\nhint: ${task.hint || 'this task has no hint.'}`);
  process.exit(0);
} catch (error) {
  console.error(`${(error as Error).message}\nusage: npm run hint [-- <task>], e.g. npm run hint -- 1.3`);
  process.exit(2);
}
