/**
 * Finding reference answers in a release: every line of a reference answer that is long and
 * particular enough to be its own (inside the solution markers of `solutions/`, and every
 * line of an answer key) is searched for in every file of the release. A hit is a leak.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { languageOf, solutionRegions } from '../build/stubs.ts';

export interface Leak {
  file: string;
  line: number;
  text: string;
  /** The reference file the text comes from. */
  from: string;
}

/** Shorter lines (`return {`, `}`, `COMMIT;`) are shared by any answer and prove nothing. */
const MIN_LENGTH = 24;

const distinctive = (line: string) => {
  const text = line.trim().replace(/\s+/g, ' ');
  return text.length >= MIN_LENGTH && /[a-z]{3}/i.test(text) && !/^(\/\/|--|\*|#)\s*$/.test(text) ? text : null;
};

/**
 * Distinctive lines of the reference answers and keys under `solutionsRoot`, by the file they
 * come from. Every line inside solution markers counts; a key's line counts unless it also
 * stands in `quoted` (a key quotes the questions and the invariants' statements, which the
 * release must hold).
 */
export function referenceLines(solutionsRoot: string, quoted: ReadonlySet<string> = new Set()): Map<string, string> {
  const lines = new Map<string, string>();
  const add = (text: string, from: string, skipQuoted: boolean) => {
    for (const line of text.split('\n')) {
      const d = distinctive(line);
      if (d && !(skipQuoted && quoted.has(d)) && !lines.has(d)) lines.set(d, from);
    }
  };
  for (const chapter of readdirSync(solutionsRoot)) {
    const dir = join(solutionsRoot, chapter);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const from = relative(join(solutionsRoot, '..'), path);
      const language = languageOf(name);
      const text = readFileSync(path, 'utf8');
      if (name === 'KEY.md') add(text, from, true);
      else if (language && name !== 'key.ts') for (const region of solutionRegions(text, language)) add(region, from, false);
    }
  }
  return lines;
}

/** The distinctive lines of some files (what a key may quote: texts, stubs, invariants). */
export function distinctiveLines(files: Iterable<{ text: string }>): Set<string> {
  const set = new Set<string>();
  for (const { text } of files) for (const line of text.split('\n')) {
    const d = distinctive(line);
    if (d) set.add(d);
  }
  return set;
}

export function findLeaks(files: Iterable<{ path: string; text: string }>, reference: Map<string, string>): Leak[] {
  const leaks: Leak[] = [];
  for (const { path, text } of files) {
    text.split('\n').forEach((line, i) => {
      const d = distinctive(line);
      const from = d && reference.get(d);
      if (from) leaks.push({ file: path, line: i + 1, text: d, from });
    });
  }
  return leaks;
}
