/**
 * The site: the README, every chapter's text and answer key, the models' READMEs, the
 * architecture and the benchmarks, rendered with markdown-it; diagrams beside them; mermaid
 * for sequence diagrams; typedoc's API reference of the models, specs and tools. Links
 * between these Markdown files become links between their pages. Output goes to
 * `docs/site/` (build output, not committed).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { chapterEntries, exercisesDir, repoRoot, solutionsDir, type ChapterEntry } from '../chapters.ts';
import { renderPage, siteCss } from './markdown.ts';

export const defaultSiteDir = join(repoRoot, 'docs', 'site');
const require = createRequire(import.meta.url);

export interface SiteOptions {
  /** Where to write the site (default `docs/site/`). */
  outDir?: string;
  /** Also run typedoc for the API reference (a few seconds). */
  api?: boolean;
  log?: (line: string) => void;
}

/** A Markdown file of the repository and the page it becomes (both relative, with `/`). */
interface PageSource {
  source: string;
  page: string;
}

/** "Chapter 1 — Idempotency keys" → "Idempotency keys", for the navigation bar. */
const titleOf = (markdown: string, fallback: string) => /^#\s+(.*)$/m.exec(markdown)?.[1] ?? fallback;
const shortTitle = (entry: ChapterEntry) => titleOf(readFileSync(join(exercisesDir(entry), 'README.md'), 'utf8'), entry.slug).split(' — ').pop()!;

function pageSources(chapters: readonly ChapterEntry[]): PageSource[] {
  const pages: PageSource[] = [
    { source: 'README.md', page: 'index.html' },
    { source: 'ARCHITECTURE.md', page: 'architecture.html' },
    { source: 'bench/results.md', page: 'bench.html' },
  ];
  for (const entry of chapters) {
    pages.push({ source: `exercises/${entry.slug}/README.md`, page: `${entry.slug}/index.html` });
    pages.push({ source: `solutions/${entry.slug}/KEY.md`, page: `${entry.slug}/key.html` });
  }
  for (const model of readdirSync(join(repoRoot, 'models'))) {
    pages.push({ source: `models/${model}/README.md`, page: `models/${model}.html` });
  }
  return pages.filter((p) => existsSync(join(repoRoot, p.source)));
}

/** The models, each with the first paragraph of its README: the page the nav's "Models" opens. */
function modelsIndex(): string {
  const rows = readdirSync(join(repoRoot, 'models'))
    .filter((model) => existsSync(join(repoRoot, 'models', model, 'README.md')))
    .map((model) => {
      const readme = readFileSync(join(repoRoot, 'models', model, 'README.md'), 'utf8');
      const intro = readme.split(/\n\s*\n/).find((block) => !block.startsWith('#'))?.replace(/\s+/g, ' ') ?? '';
      return `## [${titleOf(readme, model)}](${model}.html)\n\n${intro}`;
    });
  return ['# Models', '', 'Every model of the workbook, with its constants, invariants and the figures of its last check.', '', ...rows].join('\n\n');
}

/** Relative links to Markdown files that have a page become links to that page. */
function linkMap(from: PageSource, pages: readonly PageSource[]): Record<string, string> {
  const links: Record<string, string> = {};
  const here = posix.dirname(from.source);
  for (const target of pages) {
    const href = posix.relative(here, target.source) || posix.basename(target.source);
    links[href] = posix.relative(posix.dirname(from.page), target.page) || posix.basename(target.page);
    links[`./${href}`] = links[href]!;
  }
  return links;
}

export async function buildSite(options: SiteOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  const siteDir = options.outDir ?? defaultSiteDir;
  rmSync(siteDir, { recursive: true, force: true });
  mkdirSync(join(siteDir, 'assets'), { recursive: true });
  writeFileSync(join(siteDir, 'assets', 'site.css'), siteCss);
  cpSync(require.resolve('mermaid/dist/mermaid.min.js'), join(siteDir, 'assets', 'mermaid.min.js'));
  cpSync(join(dirname(require.resolve('highlight.js/package.json')), 'styles', 'github.css'), join(siteDir, 'assets', 'highlight.css'));

  const chapters = chapterEntries.filter((c) => existsSync(join(exercisesDir(c), 'README.md')));
  const nav = [
    { href: 'index.html', label: 'Workbook' },
    ...chapters.map((c) => ({ href: `${c.slug}/index.html`, label: `${c.number} · ${shortTitle(c)}` })),
    { href: 'models/index.html', label: 'Models' },
    { href: 'architecture.html', label: 'Architecture' },
    ...(options.api ? [{ href: 'api/index.html', label: 'API' }] : []),
  ];

  const pages = pageSources(chapters);
  for (const page of pages) {
    const markdown = readFileSync(join(repoRoot, page.source), 'utf8');
    const out = join(siteDir, page.page);
    mkdirSync(dirname(out), { recursive: true });
    const root = posix.relative(posix.dirname(page.page), '.') ;
    writeFileSync(
      out,
      renderPage({ title: titleOf(markdown, page.source), markdown, links: linkMap(page, pages), root: root ? `${root}/` : '', nav }),
    );
  }
  writeFileSync(join(siteDir, 'models', 'index.html'), renderPage({ title: 'Models', markdown: modelsIndex(), root: '../', nav }));
  // Diagrams sit beside the answer key that shows them.
  for (const entry of chapters) {
    for (const file of readdirSync(solutionsDir(entry)).filter((f) => f.endsWith('.svg'))) {
      cpSync(join(solutionsDir(entry), file), join(siteDir, entry.slug, file));
    }
  }
  log(`site: ${pages.length} pages (${pages.map((p) => relative('.', p.page)).join(', ')})`);

  if (options.api) {
    const started = performance.now();
    const typedoc = await import('typedoc');
    const app = await typedoc.Application.bootstrapWithPlugins({
      entryPoints: ['models/*/*.ts', 'specs/*/invariants.ts', 'specs/*/answer-types.ts', 'tools/explore/explore.ts', 'tools/grading/task.ts'].map((p) => join(repoRoot, p)),
      out: join(siteDir, 'api'),
      tsconfig: join(repoRoot, 'tsconfig.json'),
      name: 'Payment System Design — API',
      readme: 'none',
      logLevel: 'Warn',
      skipErrorChecking: true,
      disableSources: true,
      navigationLinks: { 'Back to the workbook': '../index.html' },
    });
    const project = await app.convert();
    if (!project) throw new Error('typedoc could not convert the project');
    await app.generateDocs(project, join(siteDir, 'api'));
    log(`site: API reference (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
