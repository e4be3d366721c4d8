/**
 * How results read: a compact, coloured listing for people, and a JSON document in the
 * spirit of Exercism's test-runner format for machines.
 */
import type { TaskReport } from './run-task.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);
const bold = paint(1);

const label = { pass: green('PASS'), fail: red('FAIL'), error: red('ERR '), todo: yellow('TODO') };

const indent = (text: string, by: string) => text.split('\n').map((line) => by + line).join('\n');

export function chapterHeading(number: number, title: string, answersDir: string): string {
  return bold(`Chapter ${number} · ${title}`) + dim(`  (answers: ${answersDir})`);
}

/** One task, as a student reads it: status, id, title, reason; hint and trace when not passing. */
export function formatReport(report: TaskReport, options: { traces?: boolean; hints?: boolean } = {}): string {
  const lines = [`  ${label[report.status]}  ${report.id}  ${report.title}`, `        ${dim(report.message)}`];
  if (report.status !== 'pass') {
    if (report.hint && options.hints !== false) lines.push(`        hint: ${report.hint}`);
    if (report.trace && options.traces !== false) lines.push(`        ${report.traceTitle ?? 'what the model does'}:`, indent(report.trace, '        '));
  }
  return lines.join('\n');
}

export function progressBar(reports: readonly TaskReport[]): string {
  const passed = reports.filter((r) => r.status === 'pass').length;
  const width = 24;
  const filled = reports.length ? Math.round((passed / reports.length) * width) : 0;
  return `${green('█'.repeat(filled))}${dim('░'.repeat(width - filled))} ${passed}/${reports.length} tasks pass`;
}

/** Exercism-style: overall status, then per task id, status, message, output (the trace). */
export function toJson(reports: readonly TaskReport[]) {
  const status =
    reports.length === 0 ? 'error' : reports.every((r) => r.status === 'pass') ? 'pass' : reports.some((r) => r.status === 'error') ? 'error' : 'fail';
  return {
    version: 3,
    status,
    tests: reports.map((r) => ({
      name: `${r.id} ${r.title}`,
      task_id: r.id,
      status: r.status,
      message: r.message,
      output: r.trace ?? null,
      hint: r.status === 'pass' ? null : r.hint,
      figures: r.figures ?? null,
      ms: Math.round(r.ms),
    })),
  };
}
