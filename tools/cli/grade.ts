/**
 * `npm run grade -- <dir>`: grade a folder of submissions, one sub-folder per student, each laid
 * out like `exercises/` (e.g. `<dir>/alice/01-idempotency/answers.ts`), into a gradebook:
 *
 *   <out>/gradebook.csv        one row per student, a column per task (points), the total
 *   <out>/gradebook.json       the same with each task's status and reason
 *   <out>/feedback/<name>.md   per student: status, reason, hint and trace of each task
 *
 * The gradebook is rewritten (atomically) after each student, so a run that dies loses
 * nothing; `--resume` skips the students whose submitted files are unchanged since they were
 * graded. A run merges into the gradebook already there: `--chapter 2` replaces chapter 2's
 * grades and keeps the others'.
 *
 *   npm run grade -- submissions/ [--out <dir>] [--chapter N]… [--points 2.1=3]… [--points-file f.json]
 *                                 [--resume] [--jobs N] [--timeout ms] [--hidden]
 *
 * `--out` defaults to a folder beside the submissions (`submissions-gradebook/`), so that no
 * student's folder can be taken for the gradebook or the gradebook for a student.
 * `--hidden` runs the instructor's hidden checks (`specs/<slug>/hidden.ts`) instead, into a
 * gradebook of their own, `<out>/hidden/`, apart from the checks students see.
 * Points: 1 per task unless given, by task (`--points 4.3=2`) or in a JSON file
 * (`{ "4.3": 2, "*": 1 }`, `*` for every other task).
 */
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { chapterEntries, findChapter, hiddenEntry, type ChapterEntry } from '../chapters.ts';
import { gradeChapter } from '../grading/grade-chapter.ts';
import { CheckerPool } from '../grading/checker.ts';
import { startEmbeddedServer, type EmbeddedServer } from '../sql/embedded-server.ts';
import { runServerVariable } from '../sql/database.ts';
import { fingerprint } from '../grading/fingerprint.ts';
import {
  feedbackMarkdown,
  feedbackName,
  gradebookCsv,
  gradeTasks,
  mergeStudent,
  writeAtomically,
  type Gradebook,
  type GradedTask,
  type StudentGrade,
} from '../grading/gradebook.ts';
import type { TaskReport } from '../grading/run-task.ts';
import { markdownTable } from '../render/table.ts';
import { loadTaskList } from './task-list.ts';
import { commandLine } from './args.ts';

const usage =
  'usage: npm run grade -- <submissions-dir> [--out <dir>] [--chapter N]… [--points 2.1=3]… [--points-file f.json] [--resume] [--jobs N] [--timeout ms] [--hidden]';
const stop = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const parsed = commandLine(usage, {
  allowPositionals: true,
  options: {
    chapter: { type: 'string', short: 'c', multiple: true },
    timeout: { type: 'string', default: '10000' },
    out: { type: 'string', short: 'o' },
    points: { type: 'string', multiple: true },
    'points-file': { type: 'string' },
    resume: { type: 'boolean', default: false },
    jobs: { type: 'string', short: 'j' },
    hidden: { type: 'boolean', default: false },
  },
});
const { values, positionals } = parsed;
if (positionals.length !== 1) stop(usage);
const root = resolve(positionals[0]!);
if (!existsSync(root) || !statSync(root).isDirectory()) stop(`no such folder: ${root}`);
const out = join(resolve(values.out ?? `${root}-gradebook`), values.hidden ? 'hidden' : '');
const timeoutMs = Number(values.timeout);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) stop(`--timeout takes milliseconds, got "${values.timeout}"`);
const jobs = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) stop(`--jobs takes a whole number of submissions graded at once, got "${values.jobs}"`);

// With --hidden every chapter stands for its hidden checks, and one without any drops out.
const asGraded = (list: readonly ChapterEntry[]) => (values.hidden ? list.map(hiddenEntry).filter((e): e is ChapterEntry => e !== null) : list);
let entries: readonly ChapterEntry[] = asGraded(chapterEntries);
try {
  if (values.chapter) entries = asGraded(values.chapter.map(findChapter));
} catch (error) {
  stop((error as Error).message);
}
if (values.hidden && entries.length === 0) stop('no hidden checks: none of the chapters asked for has a specs/<chapter>/hidden.ts');

const allTasks: GradedTask[] = (await loadTaskList(asGraded(chapterEntries))).map((t) => ({ id: t.id, title: t.title, hint: t.hint, chapter: t.chapter.number, slug: t.chapter.slug }));
const points = readPoints();
const hints = new Map(allTasks.map((t) => [t.id, t.hint]));

// Before grading anyone: a gradebook that cannot be written should stop the run now, not after.
const files = { json: join(out, 'gradebook.json'), csv: join(out, 'gradebook.csv'), feedback: join(out, 'feedback') };
for (const path of [files.json, files.csv]) if (existsSync(path) && !statSync(path).isFile()) stop(`${path} is a folder, not a gradebook: give another --out`);
if (existsSync(files.feedback) && !statSync(files.feedback).isDirectory()) stop(`${files.feedback} is a file: give another --out`);
mkdirSync(files.feedback, { recursive: true });
const book = readGradebook();

// Student folders: real directories (no symlinks, nothing hidden), never the gradebook's own.
const ours = new Set([out, files.feedback]);
const students = readdirSync(root, { withFileTypes: true })
  .filter((d) => {
    const take = d.isDirectory() && !d.name.startsWith('.') && !ours.has(resolve(root, d.name));
    if (!take && d.isSymbolicLink()) process.stderr.write(`skipped ${d.name}: a symbolic link, not a student's folder\n`);
    return take;
  })
  .map((d) => d.name)
  .sort();
const graded = allTasks.filter((t) => entries.some((e) => e.number === t.chapter));
const chapterFingerprints = (student: string) => Object.fromEntries(entries.map((e) => [e.slug, fingerprint(join(root, student, e.slug))]));
const upToDate = (student: string) => {
  const previous = book.students[student];
  if (!previous) return false;
  const now = chapterFingerprints(student);
  return entries.every((e) => previous.chapters[e.slug]?.fingerprint === now[e.slug]);
};
const queue = values.resume ? students.filter((s) => !upToDate(s)) : students;
if (values.resume) process.stderr.write(`resuming: ${students.length - queue.length} of ${students.length} students already graded with these files\n`);
save();

let done = 0;
const started = performance.now();
async function gradeStudent(student: string): Promise<void> {
  const t = performance.now();
  const reports: TaskReport[] = [];
  const chapters: StudentGrade['chapters'] = {};
  for (const entry of entries) {
    const dir = join(root, student, entry.slug);
    // Taken before grading: files changed meanwhile are graded again on --resume.
    chapters[entry.slug] = { fingerprint: fingerprint(dir), gradedAt: new Date().toISOString() };
    if (!existsSync(dir)) continue;
    try {
      reports.push(...(await gradeChapter(entry, dir, { timeoutMs, checkers })));
    } catch (error) {
      // The grader itself failed on this chapter: every task says so, and the class goes on.
      const message = `the grader could not run chapter ${entry.number}: ${(error as Error)?.message ?? error}; grade this student again`;
      for (const task of graded.filter((g) => g.chapter === entry.number)) reports.push({ chapter: entry.number, id: task.id, title: task.title, hint: '', status: 'error', message, ms: 0 });
    }
  }
  const entry = mergeStudent(book, student, { tasks: gradeTasks(graded, reports, points), chapters });
  writeAtomically(join(files.feedback, feedbackName(student)), feedbackMarkdown(student, book, hints));
  save();
  done++;
  const passed = graded.filter((g) => entry.tasks[g.id]?.status === 'pass').length;
  process.stderr.write(`[${done}/${queue.length}] ${student}: ${passed}/${graded.length} tasks pass, ${entry.total}/${entry.max} points, ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

// Up to `jobs` students at once. A chapter's checks are loaded and prepared once per checker
// (about one per job), then grade student after student; the checkers of a chapter that runs
// SQL share one database server, started here (each check still gets its own role and schema).
const database = queue.length > 0 ? await sharedDatabase(entries) : undefined;
const checkers = new CheckerPool(database ? { env: { ...process.env, [runServerVariable]: database.adminUrl } } : {});
const pending = [...queue];
await Promise.all(
  Array.from({ length: Math.min(jobs, pending.length) }, async () => {
    for (let student = pending.shift(); student !== undefined; student = pending.shift()) {
      // One student the grader cannot finish (a full disk, say) must not end the class's run.
      await gradeStudent(student).catch((error) => process.stderr.write(`could not grade ${student}: ${(error as Error)?.message ?? error}; run again with --resume\n`));
    }
  }),
);

await checkers.close();
await database?.stop();

const ids = book.tasks.map((t) => t.id);
console.log(
  markdownTable(
    ['student', 'points', ...ids],
    Object.keys(book.students)
      .sort()
      .map((student) => {
        const grade = book.students[student]!;
        return [student, `${grade.total}/${grade.max}`, ...ids.map((id) => (grade.tasks[id]?.status === 'missing' ? '—' : (grade.tasks[id]?.status ?? '—')))];
      }),
  ),
);
console.log(`\n${queue.length} graded in ${((performance.now() - started) / 1000).toFixed(1)} s; gradebook: ${relative(process.cwd(), files.csv)}, ${relative(process.cwd(), files.json)}, ${relative(process.cwd(), files.feedback)}/`);
process.exit(0);

/**
 * One embedded server for the run's checkers when a chapter needs one and DATABASE_URL names
 * none. If it does not start, each checker starts its own, and reports that failure as the
 * environment's if it fails too.
 */
async function sharedDatabase(graded: readonly ChapterEntry[]): Promise<EmbeddedServer | undefined> {
  if (process.env.DATABASE_URL || !graded.some((entry) => entry.usesDatabase)) return undefined;
  return startEmbeddedServer().catch(() => undefined);
}

function save() {
  writeAtomically(files.json, JSON.stringify(book, null, 2) + '\n');
  writeAtomically(files.csv, gradebookCsv(book));
}

function readPoints(): (id: string) => number {
  const given: Record<string, number> = {};
  const known = new Set(allTasks.map((t) => t.id));
  const set = (id: string, value: unknown, from: string) => {
    if (id !== '*' && !known.has(id)) stop(`${from}: no task "${id}"; the tasks are ${[...known].join(', ')}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) stop(`${from}: points for ${id} must be a number ≥ 0, got ${JSON.stringify(value)}`);
    given[id] = value as number;
  };
  if (values['points-file']) {
    let parsedFile: unknown;
    try {
      parsedFile = JSON.parse(readFileSync(values['points-file'], 'utf8'));
    } catch (error) {
      stop(`--points-file ${values['points-file']}: ${(error as Error).message}`);
    }
    if (!parsedFile || typeof parsedFile !== 'object' || Array.isArray(parsedFile)) stop(`--points-file: expected an object such as { "4.3": 2, "*": 1 }`);
    for (const [id, value] of Object.entries(parsedFile as object)) set(id, value, '--points-file');
  }
  for (const pair of values.points ?? []) {
    const match = /^([\d.]+|\*)=(.+)$/.exec(pair.trim());
    if (!match) stop(`--points takes task=points, e.g. --points 4.3=2; got "${pair}"`);
    set(match![1]!, Number(match![2]), '--points');
  }
  return (id) => given[id] ?? given['*'] ?? 1;
}

function readGradebook(): Gradebook {
  const tasks = allTasks.map((t) => ({ id: t.id, title: t.title, points: points(t.id) }));
  const fresh: Gradebook = { version: 1, updatedAt: new Date().toISOString(), tasks, students: {} };
  if (!existsSync(files.json)) return fresh;
  let previous: Gradebook;
  try {
    previous = JSON.parse(readFileSync(files.json, 'utf8'));
    if (previous?.version !== 1 || typeof previous.students !== 'object') throw new Error('not a gradebook of this workbook');
  } catch (error) {
    return stop(`${files.json}: ${(error as Error).message}; move it away or give another --out`);
  }
  // Points may have changed since: every grade is re-scored with today's.
  const book: Gradebook = { ...fresh, students: {} };
  for (const [student, grade] of Object.entries(previous.students)) {
    for (const [id, task] of Object.entries(grade.tasks)) {
      task.max = points(id);
      task.points = task.status === 'pass' ? task.max : 0;
    }
    mergeStudent(book, student, grade);
  }
  return book;
}

