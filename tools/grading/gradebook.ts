/**
 * The instructor's gradebook: points per task, a CSV an LMS imports, a JSON document, and one
 * Markdown feedback file per student.
 *
 * Everything in it comes from the trusted side: task ids, titles, hints and points from the
 * chapters' own task lists; from a submission's grading only a status out of a fixed set, and
 * a message and trace that are stripped of control characters and cut to a bounded length, so
 * that no submission can bloat the files, forge a column, or smuggle terminal escapes in.
 */
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import type { TaskReport } from './run-task.ts';
import type { TaskStatus } from './task.ts';

/** A task as the gradebook knows it, from the chapter's own list. */
export interface GradedTask {
  id: string;
  title: string;
  hint: string;
  chapter: number;
  slug: string;
}

export type GradeStatus = TaskStatus | 'missing';

export interface TaskGrade {
  status: GradeStatus;
  points: number;
  max: number;
  message: string;
  trace?: string;
}

export interface StudentGrade {
  /** Per chapter graded: a fingerprint of the submitted files (for --resume) and when. */
  chapters: Record<string, { fingerprint: string; gradedAt: string }>;
  tasks: Record<string, TaskGrade>;
  total: number;
  max: number;
}

export interface Gradebook {
  version: 1;
  updatedAt: string;
  /** Every task of the workbook with its points, in the book's order. */
  tasks: { id: string; title: string; points: number }[];
  students: Record<string, StudentGrade>;
}

export const limits = { message: 400, trace: 4000 };

/** Control characters (terminal escapes included) out, length bounded, saying how much was cut. */
export function bounded(text: unknown, limit: number): string {
  const clean = String(text ?? '')
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  return clean.length <= limit ? clean : `${clean.slice(0, limit)} … (${clean.length - limit} more characters cut)`;
}

const statuses = new Set<string>(['pass', 'fail', 'error', 'todo']);

/**
 * One student's grades for the chapters just graded, from their reports. Only tasks of the
 * book count; a task with no report (a chapter not handed in) is `missing`, worth nothing.
 */
export function gradeTasks(tasks: readonly GradedTask[], reports: readonly TaskReport[], points: (id: string) => number): Record<string, TaskGrade> {
  const byId = new Map<string, TaskReport>();
  for (const report of reports) if (typeof report?.id === 'string' && !byId.has(report.id)) byId.set(report.id, report);
  const grades: Record<string, TaskGrade> = {};
  for (const task of tasks) {
    const report = byId.get(task.id);
    const max = points(task.id);
    const status: GradeStatus = report && statuses.has(report.status) ? report.status : report ? 'error' : 'missing';
    grades[task.id] = {
      status,
      points: status === 'pass' ? max : 0,
      max,
      message: report ? bounded(report.message, limits.message) : 'not handed in',
      ...(report?.trace && status !== 'pass' ? { trace: bounded(report.trace, limits.trace) } : {}),
    };
  }
  return grades;
}

/** Merge a student's newly graded chapters into the book, keeping what other chapters had. */
export function mergeStudent(
  book: Gradebook,
  student: string,
  graded: { tasks: Record<string, TaskGrade>; chapters: StudentGrade['chapters'] },
): StudentGrade {
  const previous = book.students[student];
  const tasks = { ...previous?.tasks, ...graded.tasks };
  const entry: StudentGrade = {
    chapters: { ...previous?.chapters, ...graded.chapters },
    tasks,
    total: 0,
    max: 0,
  };
  for (const task of book.tasks) {
    entry.total += tasks[task.id]?.points ?? 0;
    entry.max += task.points;
  }
  book.students[student] = entry;
  book.updatedAt = new Date().toISOString();
  return entry;
}

/** A spreadsheet formula in a cell (=, +, -, @ first) is kept as text, as OWASP advises for CSV. */
function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One row per student, one column per task (points earned), then the total. The first five
 * columns are those of a Canvas gradebook export (Student, ID, SIS User ID, SIS Login ID,
 * Section), the student's folder name standing for their name and login; Moodle's import maps
 * any one identifying column to its users.
 */
export function gradebookCsv(book: Gradebook): string {
  const header = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...book.tasks.map((t) => `${t.id} ${t.title}`), 'Total'];
  const rows = Object.keys(book.students)
    .sort()
    .map((student) => {
      const grade = book.students[student]!;
      return [student, '', student, student, '', ...book.tasks.map((t) => grade.tasks[t.id]?.points ?? 0), grade.total];
    });
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** What a student reads: per task, the status, the reason, and when not passing the hint and trace. */
export function feedbackMarkdown(student: string, book: Gradebook, hints: ReadonlyMap<string, string>): string {
  const grade = book.students[student]!;
  const lines = [`# Feedback for ${student}`, '', `**${grade.total} / ${grade.max} points**`, ''];
  for (const task of book.tasks) {
    const result = grade.tasks[task.id];
    if (!result) continue;
    lines.push(`## ${task.id} ${task.title} — ${result.status.toUpperCase()} (${result.points}/${result.max})`, '', result.message, '');
    if (result.status !== 'pass' && result.status !== 'missing') {
      const hint = hints.get(task.id);
      if (hint) lines.push(`Hint: ${hint}`, '');
      if (result.trace) lines.push('```text', result.trace.replaceAll('```', "'''"), '```', '');
    }
  }
  return lines.join('\n');
}

/** Written beside the target, then renamed over it: a reader never sees half a file. */
export function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** A file name for a student's feedback that no folder name can turn into a path. */
export function feedbackName(student: string): string {
  const safe = student.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100);
  // Two folder names that clean to the same name keep files of their own.
  return safe === student ? `${safe}.md` : `${safe}-${createHash('sha256').update(student).digest('hex').slice(0, 8)}.md`;
}
