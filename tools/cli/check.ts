/**
 * `npm run check`: grade answers, task by task; `npm start` is the same over every chapter in
 * short (one line per task), then the next task to do in full.
 *
 *   npm run check                      every chapter, answers in exercises/; then the progress
 *                                      over all tasks and the next one to do
 *   npm run check -- 1                 chapter 1 only (or several: 1 2)
 *   npm run check -- --hints           show each failing task's hint (hidden by default:
 *                                      try first, then ask; or `npm run hint -- 1.3`)
 *   npm run check -- --reveal          show the rest of a prediction task's trace, past the
 *                                      value to predict (the JSON records that it was shown)
 *   npm run check -- --summary         one line per task, then the next task in full
 *   npm run check -- --answers <dir>   answers from another folder (laid out like exercises/,
 *                                      or a single chapter's folder)
 *   npm run check -- --json            machine-readable result on stdout
 *   npm run check -- --timeout 5000    per-task time limit in milliseconds (default 10000)
 *   npm run check -- --no-trace        leave the traces out
 *
 * Exit code 0 only when every task checked passes, so a course's CI can gate on it (with
 * --summary, 0 whenever the run worked: an overview is not a gate).
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { chapterEntries, findChapter, repoRoot, type ChapterEntry } from '../chapters.ts';
import { gradeChapter } from '../grading/grade-chapter.ts';
import { chapterHeading, formatReport, progressBar, toJson, type FormatOptions } from '../grading/report.ts';
import type { TaskReport } from '../grading/run-task.ts';
import { fingerprint, nextTask, readProgress, recordChapter, standings } from './progress.ts';
import { loadTaskList, type TaskInfo } from './task-list.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage: npm run check [-- <chapter>…] [--answers <dir>] [--hints] [--reveal] [--summary] [--json] [--no-trace] [--timeout <ms>]', {
  allowPositionals: true,
  options: {
    answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') },
    json: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '10000' },
    'no-trace': { type: 'boolean', default: false },
    hints: { type: 'boolean', default: false },
    // Hints are hidden by default now; the flag is still accepted.
    'no-hints': { type: 'boolean', default: false },
    reveal: { type: 'boolean', default: false },
    summary: { type: 'boolean', default: false },
  },
});

let entries: readonly ChapterEntry[];
try {
  entries = positionals.length ? positionals.map(findChapter) : chapterEntries;
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const answersRoot = resolve(values.answers!);
const timeoutMs = Number(values.timeout);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  console.error(`--timeout takes milliseconds, got "${values.timeout}"`);
  process.exit(2);
}

if (!existsSync(answersRoot)) {
  console.error(`no such folder: ${answersRoot} (--answers takes a folder laid out like exercises/, or one chapter's folder)`);
  process.exit(2);
}
// --answers may name one chapter's folder (…/01-idempotency) instead of the folder above it.
const oneChapter = chapterEntries.find((c) => c.slug === basename(answersRoot));
const chapterDir = (entry: Pick<ChapterEntry, 'slug'>) => (oneChapter ? answersRoot : join(answersRoot, entry.slug));
if (oneChapter) entries = entries.filter((entry) => entry.slug === oneChapter.slug);

const show: FormatOptions = { traces: !values['no-trace'], hints: values.hints && !values['no-hints'], reveal: values.reveal };
const print = (line: string) => {
  if (!values.json) console.log(line);
};

const all: TaskReport[] = [];
let revealedBefore: Record<string, string> = {};
for (const entry of entries) {
  const dir = chapterDir(entry);
  if (!existsSync(dir)) {
    if (positionals.length) console.error(`no answers for chapter ${entry.number} in ${dir}`);
    continue;
  }
  print(chapterHeading(entry.number, entry.slug, relative(process.cwd(), dir) || '.'));
  // Taken before grading: an edit saved while the check runs makes this record stale, as it should.
  const before = fingerprint(dir);
  let previous = '';
  const reports = await gradeChapter(entry, dir, {
    timeoutMs,
    onReport: (report) => {
      if (values.summary) return print(`  ${formatReport(report).split('\n')[0]!.trim()}`);
      // Answers that do not load fail every task with one message: print it once.
      const repeated = report.status !== 'pass' && report.message === previous;
      previous = report.message;
      print(formatReport(repeated ? { ...report, message: '(the same as above)', trace: undefined, reveal: undefined } : report, show));
    },
  });
  const revealed = values.reveal ? reports.filter((r) => r.reveal && r.status !== 'pass' && !values['no-trace']).map((r) => r.id) : [];
  revealedBefore = recordChapter(answersRoot, entry.slug, { fingerprint: before, checkedAt: new Date().toISOString(), tasks: Object.fromEntries(reports.map((r) => [r.id, r.status])) }, revealed).revealed ?? {};
  all.push(...reports);
}

if (all.length === 0 && !values.json) {
  console.error(`no chapter's answers found in ${answersRoot}: expected folders such as ${chapterEntries.map((c) => c.slug).join(', ')}`);
  process.exit(2);
}
if (values.json) {
  const checked = new Set(all.map((r) => r.id));
  const before = Object.fromEntries(Object.entries(revealedBefore).filter(([id]) => checked.has(id)));
  console.log(JSON.stringify(toJson(all, { revealed: values.reveal, revealedBefore: before }), null, 2));
}
else console.log(`\n${await overview(all)}`);
// `npm start` (--summary) is an overview, not a gate: it ends well whatever the answers' state.
process.exit(values.summary || (all.length > 0 && all.every((r) => r.status === 'pass')) ? 0 : 1);

/** The progress over every task of the book and what to do next. */
async function overview(checked: readonly TaskReport[]): Promise<string> {
  const tasks = (await loadTaskList()).filter((t) => (!oneChapter || t.chapter.slug === oneChapter.slug) && existsSync(chapterDir(t.chapter)));
  const standing = standings(tasks, readProgress(answersRoot), (slug) => chapterDir({ slug }));
  // This run's verdicts stand for the chapters it checked, whatever was saved since.
  for (const report of checked) standing.set(report.id, report.status);
  const lines = [progressBar(tasks.map((t) => ({ status: standing.get(t.id) === 'pass' ? 'pass' : 'todo' })), tasks.length)];
  const unchecked = new Set(tasks.filter((t) => ['unchecked', 'changed'].includes(standing.get(t.id)!)).map((t) => t.chapter.number));
  if (unchecked.size) lines[0] += `  (chapter ${[...unchecked].join(', ')}: counted as not passing: not checked yet, or edited since; \`npm run check -- N\`)`;
  const next = nextTask(tasks, standing);
  if (!next) return [...lines, 'Every task passes.'].join('\n');
  const justPassed = entries.filter((e) => checked.some((r) => r.chapter === e.number) && checked.filter((r) => r.chapter === e.number).every((r) => r.status === 'pass'));
  if (positionals.length && justPassed.length && next.chapter.number !== justPassed.at(-1)!.number) {
    lines.push(`Chapter ${justPassed.map((e) => e.number).join(', ')} passes. Next: chapter ${next.chapter.number}.`);
  }
  lines.push(...nextLines(next, checked.find((r) => r.id === next.id)));
  return lines.join('\n');
}

function nextLines(next: TaskInfo, report: TaskReport | undefined): string[] {
  const where = join(relative(process.cwd(), chapterDir(next.chapter)) || '.', next.answer);
  const lines = [`Next: ${next.id} ${next.title} — ${where}`];
  if (values.summary && report && report.status !== 'todo') lines.push(formatReport(report, show));
  // The same answers folder for the commands suggested, when it is not the default one.
  const from = answersRoot === resolve(repoRoot, 'exercises') ? '' : ` --answers ${relative(process.cwd(), answersRoot) || '.'}`;
  lines.push(`      \`npm run watch -- ${next.chapter.number}${from}\` re-checks on every save · \`npm run hint -- ${next.id}\` asks for a hint · \`npm run reset -- ${next.id}${from}\` restores its stub`);
  return lines;
}
