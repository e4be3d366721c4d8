/**
 * `npm run grade -- <dir>`: grade a folder of submissions, one sub-folder per student, each
 * laid out like `exercises/` (e.g. `<dir>/alice/01-idempotency/answers.ts`). Prints a summary
 * table and writes `<dir>/grades.json` (per student, the Exercism-style result of each task).
 *
 *   npm run grade -- submissions/ [--chapter 1] [--timeout 10000]
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chapterEntries, findChapter } from '../chapters.ts';
import { gradeChapter } from '../grading/grade-chapter.ts';
import { toJson } from '../grading/report.ts';
import { markdownTable } from '../render/table.ts';
import type { TaskReport } from '../grading/run-task.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { chapter: { type: 'string', short: 'c', multiple: true }, timeout: { type: 'string', default: '10000' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run grade -- <submissions-dir> [--chapter N] [--timeout ms]');
  process.exit(2);
}
const root = resolve(positionals[0]!);
if (!existsSync(root)) {
  console.error(`no such folder: ${root}`);
  process.exit(2);
}
const entries = values.chapter ? values.chapter.map(findChapter) : chapterEntries;
const students = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory()).sort();
const results: Record<string, ReturnType<typeof toJson>> = {};
const taskIds = new Set<string>();

for (const [i, student] of students.entries()) {
  process.stderr.write(`[${i + 1}/${students.length}] ${student} …`);
  const started = performance.now();
  const reports: TaskReport[] = [];
  for (const entry of entries) {
    const dir = join(root, student, entry.slug);
    if (existsSync(dir)) reports.push(...(await gradeChapter(entry, dir, { timeoutMs: Number(values.timeout) })));
  }
  reports.forEach((r) => taskIds.add(r.id));
  results[student] = toJson(reports);
  const passed = reports.filter((r) => r.status === 'pass').length;
  process.stderr.write(` ${passed}/${reports.length} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

}

writeFileSync(join(root, 'grades.json'), JSON.stringify(results, null, 2) + '\n');
const ids = [...taskIds].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
console.log(
  markdownTable(
    ['student', 'passed', ...ids],
    students.map((student) => {
      const tests = results[student]!.tests;
      // Out of every task of the class, so that a chapter not handed in counts as missing (—).
      return [student, `${tests.filter((t) => t.status === 'pass').length}/${ids.length}`, ...ids.map((id) => tests.find((t) => t.task_id === id)?.status ?? '—')];
    }),
  ),
);
console.log(`\nper-task results: ${join(root, 'grades.json')}`);
