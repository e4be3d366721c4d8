/**
 * Student stubs from reference answers, as nbgrader does: every region between solution
 * markers is replaced by a TODO that fails recognisably until the student answers.
 *
 *   TypeScript   // BEGIN SOLUTION … // END SOLUTION   →  throw new Error('TODO: not answered yet');
 *   SQL          -- BEGIN SOLUTION … -- END SOLUTION   →  -- TODO: not answered yet
 *
 * In TypeScript the markers sit inside a function body, so that the module still loads and
 * each unanswered task is reported on its own.
 */
import { NOT_ANSWERED } from '../grading/task.ts';

export type StubLanguage = 'typescript' | 'sql';

const syntax: Record<StubLanguage, { comment: string; todo: string }> = {
  typescript: { comment: '//', todo: `throw new Error('TODO: ${NOT_ANSWERED}');` },
  sql: { comment: '--', todo: `-- TODO: ${NOT_ANSWERED}` },
};

export function languageOf(path: string): StubLanguage | null {
  if (path.endsWith('.ts')) return 'typescript';
  if (path.endsWith('.sql')) return 'sql';
  return null;
}

export class MarkerError extends Error {}

/** The student's version of a reference file. Throws on unbalanced markers, naming the line. */
export function stripSolutions(text: string, language: StubLanguage, file = '<text>'): string {
  const { comment, todo } = syntax[language];
  const begin = new RegExp(`^(\\s*)${comment}\\s*BEGIN SOLUTION\\s*$`);
  const end = new RegExp(`^\\s*${comment}\\s*END SOLUTION\\s*$`);
  const out: string[] = [];
  let openedAt = 0;
  text.split('\n').forEach((line, i) => {
    const opening = begin.exec(line);
    if (opening) {
      if (openedAt) throw new MarkerError(`${file}:${i + 1}: BEGIN SOLUTION inside the region opened at line ${openedAt}`);
      openedAt = i + 1;
      out.push(`${opening[1]}${todo}`);
    } else if (end.test(line)) {
      if (!openedAt) throw new MarkerError(`${file}:${i + 1}: END SOLUTION without BEGIN SOLUTION`);
      openedAt = 0;
    } else if (!openedAt) {
      out.push(line);
    }
  });
  if (openedAt) throw new MarkerError(`${file}:${openedAt}: BEGIN SOLUTION never closed`);
  return out.join('\n');
}

/** Whether a file carries solution markers (only those become stubs). */
export const hasSolutionMarkers = (text: string) => /^\s*(\/\/|--)\s*BEGIN SOLUTION\s*$/m.test(text);

/** The text inside each solution region, dedented: what an answer key quotes. */
export function solutionRegions(text: string, language: StubLanguage): string[] {
  const { comment } = syntax[language];
  const pattern = new RegExp(`^[ \\t]*${comment}\\s*BEGIN SOLUTION\\s*\\n([\\s\\S]*?)^[ \\t]*${comment}\\s*END SOLUTION\\s*$`, 'gm');
  return [...text.matchAll(pattern)].map((match) => {
    const lines = match[1]!.replace(/\n$/, '').split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    return lines.map((l) => l.slice(indent)).join('\n');
  });
}

/** How many unanswered TODOs a file still holds. */
export const todoCount = (text: string) => text.split(NOT_ANSWERED).length - 1;
