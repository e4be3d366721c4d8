/**
 * `npm run check`: grade answers, task by task.
 *
 *   npm run check                      every chapter, answers in exercises/
 *   npm run check -- 1                 chapter 1 only (or several: 1 2)
 *   npm run check -- --answers <dir>   answers from another folder (laid out like exercises/,
 *                                      or a single chapter's folder)
 *   npm run check -- --json            machine-readable result on stdout
 *   npm run check -- --timeout 5000    per-task time limit in milliseconds (default 10000)
 *   npm run check -- --no-hints        leave the hints out (--no-trace: the traces)
 *
 * Exit code 0 only when every task checked passes, so a course's CI can gate on it.
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chapterEntries, findChapter, repoRoot, type ChapterEntry } from '../chapters.ts';
import { gradeChapter } from '../grading/grade-chapter.ts';
import { chapterHeading, formatReport, progressBar, toJson } from '../grading/report.ts';
import type { TaskReport } from '../grading/run-task.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') },
    json: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '10000' },
    'no-trace': { type: 'boolean', default: false },
    'no-hints': { type: 'boolean', default: false },
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
const chapterDir = (entry: ChapterEntry) => (oneChapter ? answersRoot : join(answersRoot, entry.slug));
if (oneChapter) entries = entries.filter((entry) => entry.slug === oneChapter.slug);

const all: TaskReport[] = [];
for (const entry of entries) {
  const dir = chapterDir(entry);
  if (!existsSync(dir)) {
    if (positionals.length) console.error(`no answers for chapter ${entry.number} in ${dir}`);
    continue;
  }
  if (!values.json) console.log(chapterHeading(entry.number, entry.slug, relative(process.cwd(), dir) || '.'));
  let previous = '';
  const reports = await gradeChapter(entry, dir, {
    timeoutMs,
    onReport: (report) => {
      if (values.json) return;
      // Answers that do not load fail every task with one message: print it once.
      const repeated = report.status !== 'pass' && report.message === previous;
      previous = report.message;
      console.log(formatReport(repeated ? { ...report, message: '(the same as above)', trace: undefined } : report, { traces: !values['no-trace'], hints: !values['no-hints'] }));
    },
  });
  all.push(...reports);
}

if (all.length === 0 && !values.json) {
  console.error(`no chapter's answers found in ${answersRoot}: expected folders such as ${chapterEntries.map((c) => c.slug).join(', ')}`);
  process.exit(2);
}
if (values.json) console.log(JSON.stringify(toJson(all), null, 2));
else console.log(`\n${progressBar(all)}`);
process.exit(all.length > 0 && all.every((r) => r.status === 'pass') ? 0 : 1);
