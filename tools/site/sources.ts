/**
 * What the site is made of, found by scanning the repository at build time: the pages (the
 * README, every chapter's text and answer key, every model's README, the architecture and the
 * benchmarks), the tasks (from the chapters' headings), the invariants (from the specs'
 * modules: every exported object with an `id`, a `statement` and a `task`) and which model
 * states which invariant (from the models' READMEs). Nothing here names a chapter, a task or
 * an invariant: the chapters are rewritten independently of the site.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chapterEntries, repoRoot } from '../chapters.ts';

export type PageKind = 'home' | 'chapter' | 'key' | 'model' | 'doc';

export interface SitePage {
  /** The Markdown file of the repository, relative with `/`; undefined for a generated page. */
  source?: string;
  /** The page's file in the site's source folder, e.g. `01-idempotency/key.md`. */
  file: string;
  title: string;
  kind: PageKind;
  /** The chapter's slug, for a chapter's text or key. */
  chapter?: string;
  /** Whether it has a section an invariant's figures can link to (see `isFiguresHeading`). */
  figures?: boolean;
}

export interface TaskInfo {
  /** "1.2" */
  id: string;
  chapter: string;
  title: string;
  /** The heading anchor, the same on the chapter's page and on its key. */
  anchor: string;
  invariants: string[];
  models: string[];
}

export interface InvariantInfo {
  id: string;
  statement: string;
  /** The tasks it backs, e.g. ["2.2", "2.3"]. */
  tasks: string[];
  chapter: string;
  /** The models whose README states it. */
  models: string[];
  anchor: string;
}

export interface ModelInfo {
  slug: string;
  title: string;
  /** The chapters whose text, key or tasks use it. */
  chapters: string[];
}

export interface ChapterInfo {
  slug: string;
  number: number;
  title: string;
  shortTitle: string;
  models: string[];
}

export interface SiteSources {
  solutions: boolean;
  pages: SitePage[];
  chapters: ChapterInfo[];
  tasks: TaskInfo[];
  invariants: InvariantInfo[];
  models: ModelInfo[];
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
export const titleOf = (markdown: string, fallback: string) => /^#\s+(.*)$/m.exec(markdown)?.[1]?.trim() ?? fallback;

/** "task-1-2": one anchor per task, shared by its chapter text and its key. */
export const taskAnchor = (task: string) => `task-${task.replace(/\./g, '-')}`;
/** "idem-1", "xfer-no-block". */
export const invariantAnchor = (id: string) => id.toLowerCase();

/** The lines of a Markdown text that are not inside a fenced code block. */
export function* proseLines(markdown: string): Generator<{ line: string; index: number }> {
  let fence: string | null = null;
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker) {
      if (fence === null) fence = marker;
      else if (marker.startsWith(fence)) fence = null;
      continue;
    }
    if (fence === null) yield { line, index };
  }
}

/** A heading that opens a task: "## Task 1.2 — …", "## 2.1 The rows …", "## 1.3 — How long …". */
export function taskOfHeading(line: string): { level: number; task: string; title: string } | undefined {
  const match = /^(#{2,4})\s+(?:Task\s+)?(\d+\.\d+)\b\s*(?:[—–:-]\s*)?(.*?)\s*(?:\{#[^}]*\})?$/.exec(line);
  return match ? { level: match[1]!.length, task: match[2]!, title: match[3]! } : undefined;
}

/**
 * The section that holds the figures of the invariants' last check: a model README's
 * "Figures …" heading, a key's "… invariants …" heading.
 */
export function isFiguresHeading(kind: PageKind, line: string): boolean {
  return /^#{2,3}\s/.test(line) && ((kind === 'model' && /figures/i.test(line)) || (kind === 'key' && /invariants/i.test(line)));
}

const hasFigures = (kind: PageKind, markdown: string) => [...proseLines(markdown)].some(({ line }) => isFiguresHeading(kind, line));

/** Every exported invariant-like object of a module, including those inside exported arrays. */
function invariantsOf(module: Record<string, unknown>): { id: string; statement: string; task: string }[] {
  const found: { id: string; statement: string; task: string }[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value && typeof value === 'object') {
      const { id, statement, task } = value as Record<string, unknown>;
      if (typeof id === 'string' && typeof statement === 'string' && typeof task === 'string') found.push({ id, statement, task });
    }
  };
  Object.values(module).forEach(visit);
  return found;
}

/**
 * The invariants written out in a specs file, for those a module builds from a config (a
 * function returning the invariant): id, task, and the statement with each `${…}` left as
 * the name it reads, to be replaced by the model README's wording where it has one.
 */
export function invariantsInSource(source: string): { id: string; statement: string; task: string; templated: boolean }[] {
  const pattern = /\bid:\s*'([^']+)',\s*statement:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`([^`]*)`),\s*task:\s*'([^']+)'/g;
  return [...source.matchAll(pattern)].map((m) => ({
    id: m[1]!,
    statement: (m[2] ?? m[3] ?? m[4] ?? '').replace(/\$\{[^}]*?(\w+)\s*\}/g, '$1').replace(/\\(.)/g, '$1'),
    task: m[5]!,
    templated: m[4] !== undefined && m[4].includes('${'),
  }));
}

/** `**IDEM-1** statement` bullets of a model's README. */
const invariantBulletsIn = (markdown: string) =>
  new Map([...markdown.matchAll(/\*\*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\*\*[ \t]*([^\n]*)/g)].map((m) => [m[1]!, m[2]!.trim()]));

/** `models/<slug>/` named anywhere in a text. */
const modelsNamedIn = (text: string, models: readonly string[]) => models.filter((m) => text.includes(`models/${m}/`) || text.includes(`models/${m}'`));

/** The invariants a specs module exports; none (the source is read instead) if it does not load. */
async function importedInvariants(file: string, warn: (message: string) => void = () => {}) {
  try {
    return invariantsOf(await import(pathToFileURL(file).href));
  } catch (error) {
    warn(`${file.slice(repoRoot.length)} does not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): its invariants are read from its source`);
    return [];
  }
}

export async function scanSources(options: { solutions: boolean; warn?: (message: string) => void }): Promise<SiteSources> {
  const modelSlugs = readdirSync(join(repoRoot, 'models')).filter((m) => existsSync(join(repoRoot, 'models', m, 'README.md')));
  const pages: SitePage[] = [];
  const addDoc = (source: string, file: string, kind: PageKind) => {
    if (existsSync(join(repoRoot, source))) pages.push({ source, file, kind, title: titleOf(read(source), source) });
  };
  addDoc('README.md', 'index.md', 'home');

  const chapters: ChapterInfo[] = [];
  const tasks: TaskInfo[] = [];
  const invariants: InvariantInfo[] = [];
  for (const entry of chapterEntries) {
    const textPath = `exercises/${entry.slug}/README.md`;
    if (!existsSync(join(repoRoot, textPath))) continue;
    const text = read(textPath);
    const title = titleOf(text, entry.slug);
    const keyPath = `solutions/${entry.slug}/KEY.md`;
    const key = existsSync(join(repoRoot, keyPath)) ? read(keyPath) : '';
    pages.push({ source: textPath, file: `${entry.slug}/index.md`, kind: 'chapter', chapter: entry.slug, title });
    if (options.solutions && key) pages.push({ source: keyPath, file: `${entry.slug}/key.md`, kind: 'key', chapter: entry.slug, title: titleOf(key, keyPath), figures: hasFigures('key', key) });

    const invariantsFile = join(repoRoot, 'specs', entry.slug, 'invariants.ts');
    // Exported invariant objects first (their statements as the checks print them), then
    // those only a function of a config builds, read from the source.
    const exported = existsSync(invariantsFile) ? await importedInvariants(invariantsFile, options.warn) : [];
    const written = existsSync(invariantsFile) ? invariantsInSource(readFileSync(invariantsFile, 'utf8')) : [];
    const found = [...exported, ...written.filter((w) => !exported.some((e) => e.id === w.id))];
    for (const inv of found.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))) {
      if (invariants.some((i) => i.id === inv.id)) continue;
      const backs = inv.task.split(/[,\s]+/).filter((t) => /^\d+\.\d+$/.test(t));
      const models = modelSlugs.filter((m) => invariantBulletsIn(read(`models/${m}/README.md`)).has(inv.id));
      const worded = 'templated' in inv && inv.templated ? models.map((m) => invariantBulletsIn(read(`models/${m}/README.md`)).get(inv.id)).find(Boolean) : undefined;
      invariants.push({ id: inv.id, statement: worded ?? inv.statement, tasks: backs, chapter: entry.slug, models, anchor: invariantAnchor(inv.id) });
    }
    for (const { line } of proseLines(text)) {
      const heading = taskOfHeading(line);
      if (!heading || tasks.some((t) => t.id === heading.task)) continue;
      const backing = invariants.filter((i) => i.tasks.includes(heading.task));
      tasks.push({
        id: heading.task,
        chapter: entry.slug,
        title: heading.title,
        anchor: taskAnchor(heading.task),
        invariants: backing.map((i) => i.id),
        models: [...new Set(backing.flatMap((i) => i.models))],
      });
    }
    const chapterModels = new Set([...modelsNamedIn(text + key, modelSlugs), ...invariants.filter((i) => i.chapter === entry.slug).flatMap((i) => i.models)]);
    chapters.push({ slug: entry.slug, number: entry.number, title, shortTitle: title.split(' — ').pop()!, models: modelSlugs.filter((m) => chapterModels.has(m)) });
  }

  const models: ModelInfo[] = modelSlugs.map((slug) => {
    const readme = read(`models/${slug}/README.md`);
    pages.push({ source: `models/${slug}/README.md`, file: `models/${slug}.md`, kind: 'model', title: titleOf(readme, slug), figures: hasFigures('model', readme) });
    return { slug, title: titleOf(readme, slug), chapters: chapters.filter((c) => c.models.includes(slug)).map((c) => c.slug) };
  });
  addDoc('ARCHITECTURE.md', 'architecture.md', 'doc');
  addDoc('bench/results.md', 'bench.md', 'doc');
  return { solutions: options.solutions, pages, chapters, tasks, invariants, models };
}
