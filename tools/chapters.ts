/**
 * The chapters of the workbook, in order. Each chapter's checks live in
 * `specs/<slug>/chapter.ts`, its reference answers and key in `solutions/<slug>/`, its text
 * and student stubs in `exercises/<slug>/`.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ChapterEntry {
  number: number;
  slug: string;
  /** The chapter's checks, if not at `specs/<slug>/chapter.ts` (test fixtures). */
  module?: string;
  /** Its checks run SQL on PostgreSQL (a batch shares one server among its checkers). */
  usesDatabase?: boolean;
}

export const chapterEntries: readonly ChapterEntry[] = [
  { number: 1, slug: '01-idempotency' },
  { number: 2, slug: '02-ledger', usesDatabase: true },
  { number: 3, slug: '03-webhooks' },
  { number: 4, slug: '04-high-availability' },
];

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const chapterModule = (entry: ChapterEntry) => entry.module ?? join(repoRoot, 'specs', entry.slug, 'chapter.ts');
export const solutionsDir = (entry: ChapterEntry) => join(repoRoot, 'solutions', entry.slug);
/**
 * A chapter's hidden checks (`specs/<slug>/hidden.ts`, exporting `chapter` like chapter.ts):
 * the instructor's extra cases, larger bounds and more random runs, run by
 * `npm run grade -- --hidden` and left out of the student release. Null when it has none.
 */
export function hiddenEntry(entry: ChapterEntry): ChapterEntry | null {
  const module = join(repoRoot, 'specs', entry.slug, 'hidden.ts');
  return existsSync(module) ? { ...entry, module } : null;
}

/** Where a student release keeps its untouched stubs, for `npm run reset`. */
export const pristineStubsDir = join(repoRoot, '.stubs');
export const exercisesDir = (entry: ChapterEntry) => join(repoRoot, 'exercises', entry.slug);

export function findChapter(selector: string): ChapterEntry {
  const entry = chapterEntries.find((c) => String(c.number) === selector.replace(/^0+/, '') || c.slug === selector);
  if (!entry) {
    const known = chapterEntries.map((c) => `${c.number} (${c.slug})`).join(', ');
    throw new Error(`no chapter "${selector}"; the chapters are ${known}`);
  }
  return entry;
}
