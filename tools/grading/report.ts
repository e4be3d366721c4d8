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

export interface FormatOptions {
  /** The counterexample or model trace (default: shown). */
  traces?: boolean;
  /** The hint, a question to think about (default: hidden, as in rustlings: try first, then ask). */
  hints?: boolean;
  /** The part of a prediction task's trace past the decisive step (default: hidden). */
  reveal?: boolean;
}

/** One task, as a student reads it: status, id, title, reason; hint and trace when not passing. */
export function formatReport(report: TaskReport, options: FormatOptions = {}): string {
  const lines = [`  ${label[report.status] ?? red(String(report.status).toUpperCase().slice(0, 4))}  ${report.id}  ${report.title}`, `        ${dim(report.message)}`];
  if (report.status !== 'pass') {
    if (report.hint && options.hints) lines.push(`        hint: ${report.hint}`);
    if (report.trace && options.traces !== false) lines.push(`        ${report.traceTitle ?? 'what the model does'}:`, indent(report.trace, '        '));
    if (report.reveal && options.traces !== false) {
      if (options.reveal) lines.push(`        the rest of the trace (shown with --reveal):`, indent(report.reveal, '        '));
      else lines.push(dim(`        (the trace stops before the value you are asked to predict; --reveal shows the rest)`));
    }
  }
  return lines.join('\n');
}

/** A bar over the tasks given; `total` counts tasks not among them (not checked, no answers) as not passing. */
export function progressBar(reports: readonly Pick<TaskReport, 'status'>[], total = reports.length): string {
  const passed = reports.filter((r) => r.status === 'pass').length;
  const width = 24;
  const filled = total ? Math.round((passed / total) * width) : 0;
  return `${green('█'.repeat(filled))}${dim('░'.repeat(width - filled))} ${passed}/${total} tasks pass`;
}

export interface JsonOptions {
  /** Whether the reveal part of the traces was shown (`--reveal`): recorded so an instructor can see it. */
  revealed?: boolean;
  /** Tasks whose reveal part was shown by an earlier run, and when. */
  revealedBefore?: Record<string, string>;
}

/** Exercism-style: overall status, then per task id, status, message, output (the trace). */
export function toJson(reports: readonly TaskReport[], options: JsonOptions = {}) {
  const status =
    reports.length === 0 ? 'error' : reports.every((r) => r.status === 'pass') ? 'pass' : reports.some((r) => r.status === 'error') ? 'error' : 'fail';
  const shown = (r: TaskReport) => Boolean(options.revealed && r.reveal && r.status !== 'pass');
  return {
    version: 3,
    status,
    // The tasks whose full trace (past the value to predict) was shown to the student, now or before.
    revealed: [...new Set([...Object.keys(options.revealedBefore ?? {}), ...reports.filter(shown).map((r) => r.id)])],
    tests: reports.map((r) => ({
      name: `${r.id} ${r.title}`,
      task_id: r.id,
      status: r.status,
      message: r.message,
      output: (shown(r) ? [r.trace, r.reveal].filter(Boolean).join('\n') : r.trace) ?? null,
      revealed: shown(r) || Boolean(options.revealedBefore?.[r.id]),
      hint: r.status === 'pass' ? null : r.hint,
      figures: r.figures ?? null,
      ms: Math.round(r.ms),
    })),
  };
}
