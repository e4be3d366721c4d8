/**
 * The site: every chapter's text and answer key rendered with markdown-it, the diagrams
 * beside them, mermaid for sequence diagrams, and typedoc's API reference of the models,
 * specs and tools. Output goes to `docs/site/` (build output, not committed).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chapterEntries, exercisesDir, repoRoot, solutionsDir, type ChapterEntry } from '../chapters.ts';
import { renderPage, siteCss } from './markdown.ts';

export const siteDir = join(repoRoot, 'docs', 'site');
const require = createRequire(import.meta.url);

export interface SiteOptions {
  /** Also run typedoc for the API reference (a few seconds). */
  api?: boolean;
  log?: (line: string) => void;
}

/** "Chapter 1 — Idempotency keys" → "Idempotency keys", for the navigation bar. */
function shortTitle(entry: ChapterEntry): string {
  const heading = /^#\s+(.*)$/m.exec(readFileSync(join(exercisesDir(entry), 'README.md'), 'utf8'))?.[1] ?? entry.slug;
  return heading.split(' — ').pop()!;
}

export async function buildSite(options: SiteOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  rmSync(siteDir, { recursive: true, force: true });
  mkdirSync(join(siteDir, 'assets'), { recursive: true });
  writeFileSync(join(siteDir, 'assets', 'site.css'), siteCss);
  cpSync(require.resolve('mermaid/dist/mermaid.min.js'), join(siteDir, 'assets', 'mermaid.min.js'));
  cpSync(join(dirname(require.resolve('highlight.js/package.json')), 'styles', 'github.css'), join(siteDir, 'assets', 'highlight.css'));

  const chapters = chapterEntries.filter((c) => existsSync(join(exercisesDir(c), 'README.md')));
  const nav = [
    { href: 'index.html', label: 'Workbook' },
    ...chapters.map((c) => ({ href: `${c.slug}/index.html`, label: `${c.number} · ${shortTitle(c)}` })),
    ...(options.api ? [{ href: 'api/index.html', label: 'API' }] : []),
  ];
  const links = { 'KEY.md': 'key.html', 'README.md': 'index.html' };

  for (const entry of chapters) {
    const out = join(siteDir, entry.slug);
    mkdirSync(out, { recursive: true });
    const text = readFileSync(join(exercisesDir(entry), 'README.md'), 'utf8');
    const title = /^#\s+(.*)$/m.exec(text)?.[1] ?? entry.slug;
    writeFileSync(join(out, 'index.html'), renderPage({ title, markdown: text, links, root: '../', nav }));
    const keyFile = join(solutionsDir(entry), 'KEY.md');
    if (existsSync(keyFile)) {
      const key = readFileSync(keyFile, 'utf8');
      writeFileSync(join(out, 'key.html'), renderPage({ title: `${title}: answer key`, markdown: key, links, root: '../', nav }));
    }
    for (const file of readdirSync(solutionsDir(entry)).filter((f) => f.endsWith('.svg'))) {
      cpSync(join(solutionsDir(entry), file), join(out, file));
    }
    log(`site: ${entry.slug}`);
  }

  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const index = [
    readme.replace(/\]\((exercises|solutions)\/([^)]*?)(README|KEY)\.md\)/g, (_, _dir, path, page) => `](${path}${page === 'KEY' ? 'key' : 'index'}.html)`),
  ].join('\n');
  writeFileSync(join(siteDir, 'index.html'), renderPage({ title: 'Payment System Design', markdown: index, root: '', nav }));

  if (options.api) {
    const started = performance.now();
    const typedoc = await import('typedoc');
    const app = await typedoc.Application.bootstrapWithPlugins({
      entryPoints: [
        'models/*/machine.ts',
        'specs/*/invariants.ts',
        'tools/explore/explore.ts',
        'tools/grading/task.ts',
      ].map((p) => join(repoRoot, p)),
      out: join(siteDir, 'api'),
      tsconfig: join(repoRoot, 'tsconfig.json'),
      name: 'Payment System Design — API',
      readme: 'none',
      logLevel: 'Warn',
      skipErrorChecking: true,
      disableSources: true,
    });
    const project = await app.convert();
    if (!project) throw new Error('typedoc could not convert the project');
    await app.generateDocs(project, join(siteDir, 'api'));
    log(`site: API reference (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
