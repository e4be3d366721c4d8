/**
 * A class graded end to end: `npm run grade` over `size` submissions, each every chapter's
 * reference answers laid out as a student hands them in (the files of exercises/<chapter>/).
 * Right answers are the costliest submissions to grade: every task runs to the end, where a
 * stub or an answer that throws stops early. Every verdict must be PASS, or the figure is void.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { chapterEntries, repoRoot, solutionsDir } from '../chapters.ts';
import { markdownTable } from '../render/table.ts';
import { measureNode } from './measure.ts';

/** The target the grader is held to: a class of 100 in under 2 minutes on two cores. */
export const classTarget = { students: 100, seconds: 120 };

export function benchGrading(scratch: string, size: number, log: (line: string) => void): string {
  const root = join(scratch, 'class');
  const out = join(scratch, 'class-gradebook');
  rmSync(root, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  const chapters = chapterEntries.filter((c) => existsSync(solutionsDir(c)));
  for (let i = 1; i <= size; i++) {
    for (const chapter of chapters) {
      const dir = join(root, `student-${String(i).padStart(3, '0')}`, chapter.slug);
      mkdirSync(dir, { recursive: true });
      const handedIn = readdirSync(join(repoRoot, 'exercises', chapter.slug)).filter((file) => file !== 'README.md');
      for (const file of handedIn) copyFileSync(join(solutionsDir(chapter), file), join(dir, file));
    }
  }
  log(`grading a class of ${size} (${chapters.length} chapters each)…`);
  // Other work on the machine shows in the wall time (not in the CPU time): said with the figures.
  const loadBefore = loadavg()[0]!;
  const run = measureNode(['--import', 'tsx', join(repoRoot, 'tools/cli/grade.ts'), root, '--out', out], repoRoot);
  const book = existsSync(join(out, 'gradebook.json'))
    ? (JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8')) as { students: Record<string, { tasks: Record<string, { status: string }> }> })
    : { students: {} };
  const students = Object.values(book.students);
  const tasks = students.flatMap((s) => Object.values(s.tasks));
  const passed = tasks.filter((t) => t.status === 'pass').length;
  const allPass = run.ok && students.length === size && passed === tasks.length && tasks.length > 0;
  const seconds = run.wallMs / 1000;
  log(`class of ${size}: ${seconds.toFixed(1)} s wall, ${(run.cpuMs / 1000).toFixed(1)} s CPU, ${passed}/${tasks.length} verdicts PASS`);
  const perStudentCpu = run.cpuMs / 1000 / size;
  return [
    '## A class graded (`npm run grade`)',
    '',
    `${size} submissions, each every chapter's reference answers (every task runs to its end: the costliest submission to grade), ` +
      `graded with \`npm run grade\` on ${availableParallelism()} cores (one checker per chapter per job, reused from student to student). ` +
      'The submissions are alike, so the explorations that depend only on an answer\'s figures (a retry schedule, a TTL) are shared among them, ' +
      'as in a class where many choose the same figures; each answer\'s own functions still run for every submission, in its own sandbox. ' +
      `Target: ${classTarget.students} submissions in under ${classTarget.seconds / 60} minutes.`,
    '',
    markdownTable(
      ['submissions', 'wall s', 'CPU s', 'CPU s per submission', 'peak RSS', 'load average before', 'verdicts', 'target met'],
      [
        [
          size,
          seconds.toFixed(1),
          (run.cpuMs / 1000).toFixed(1),
          perStudentCpu.toFixed(2),
          Number.isNaN(run.peakRssMb) ? '—' : `${Math.round(run.peakRssMb)} MB`,
          loadBefore.toFixed(1),
          `${passed}/${tasks.length} PASS${allPass ? '' : ' (void: not all PASS)'}`,
          size === classTarget.students ? (allPass && seconds < classTarget.seconds ? 'yes' : 'no') : '(another size)',
        ],
      ],
      ['right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
    ),
    '',
  ].join('\n');
}
