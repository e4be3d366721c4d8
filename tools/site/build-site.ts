/**
 * The site, built with VitePress (markdown-it inside): the README, every chapter's text and
 * answer key, the models' READMEs, the invariants, the architecture and the benchmarks, with
 * diagrams rendered at build time and typedoc's API reference. Everything is found by
 * scanning the repository (tools/site/sources.ts); the pages are written to
 * `.tmp/site-src/<variant>/` and VitePress builds them to `docs/site/` (or, for the student
 * build without keys or reference answers, `docs/site-student/`). Both are build output.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { repoRoot } from '../chapters.ts';
import { apiBase, apiModules, installApi, prepareApi, type ApiModule } from './api.ts';
import type { RenderedDiagram } from './diagrams.ts';
import type { LinkMap } from './markdown-plugins.ts';
import { apiPage, invariantsPage, modelsPage, routes, sitePage } from './pages.ts';
import { scanSources, type SiteSources } from './sources.ts';
import { checkStudentSite } from './student-check.ts';

export const defaultSiteDir = join(repoRoot, 'docs', 'site');
export const defaultStudentSiteDir = join(repoRoot, 'docs', 'site-student');

export interface SiteOptions {
  /** Where to write the site (default `docs/site/`, or `docs/site-student/` without solutions). */
  outDir?: string;
  /** Also the API reference (typedoc; cached while its inputs are unchanged). */
  api?: boolean;
  /** With the answer keys (default); false builds the student site and checks it holds none. */
  solutions?: boolean;
  log?: (line: string) => void;
}

export interface SiteReport {
  outDir: string;
  pages: number;
  diagrams: number;
  /** Whether typedoc's output came from the cache. */
  apiCached?: boolean;
}

const chapterItem = (sources: SiteSources) =>
  sources.chapters.map((c) => ({
    text: `${c.number} · ${c.shortTitle}`,
    collapsed: false,
    items: [
      { text: 'The chapter', link: routes.chapter(c.slug) },
      ...(sources.pages.some((p) => p.kind === 'key' && p.chapter === c.slug) ? [{ text: 'Answer key', link: routes.key(c.slug) }] : []),
    ],
  }));

function navigation(sources: SiteSources, api: boolean) {
  const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  const models = sources.models.map((m) => ({ text: capitalised(m.title.replace(/^Model:\s*/, '')), link: routes.model(m.slug) }));
  const reference = [
    ...(api ? [{ text: 'API overview', link: routes.api }] : []),
    ...(sources.pages.some((p) => p.file === 'architecture.md') ? [{ text: 'Architecture', link: '/architecture.html' }] : []),
    ...(sources.pages.some((p) => p.file === 'bench.md') ? [{ text: 'Benchmarks', link: '/bench.html' }] : []),
  ];
  const sidebar = [
    { text: 'Workbook', items: [{ text: 'Introduction', link: '/' }, { text: 'Invariants', link: routes.invariants }] },
    ...chapterItem(sources),
    { text: 'Models', collapsed: true, items: [{ text: 'All models', link: routes.models }, ...models] },
    ...(reference.length ? [{ text: 'Reference', items: reference }] : []),
  ];
  const nav = [
    { text: 'Chapters', items: sources.chapters.map((c) => ({ text: `${c.number} · ${c.shortTitle}`, link: routes.chapter(c.slug) })) },
    { text: 'Invariants', link: routes.invariants },
    { text: 'Models', link: routes.models },
    ...(api ? [{ text: 'API', items: [{ text: 'Overview', link: routes.api }, { text: 'Full reference (typedoc)', link: `${apiBase}index.html`, target: '_self' }] }] : []),
  ];
  return { nav, sidebar };
}

/** The site's source folder: every page as Markdown, the diagrams in public/. */
function writeSources(sources: SiteSources, srcDir: string, api: readonly ApiModule[] | undefined, log: (line: string) => void): { links: LinkMap; diagrams: number } {
  // VitePress caches each page's rendering by its source text for the life of the process, so
  // a second build in one process (the student site after the full one) would get the first
  // one's pages: each page carries a stamp of what its links depend on, in its front matter.
  const stamp = createHash('sha256').update(JSON.stringify({ sources, api })).digest('hex').slice(0, 12);
  const write = (file: string, markdown: string) =>
    writeFileSync(join(srcDir, file), markdown.startsWith('---\n') ? markdown.replace('---\n', `---\nsiteBuild: ${stamp}\n`) : `---\nsiteBuild: ${stamp}\n---\n\n${markdown}`);
  const links: LinkMap = { sourceOfFile: {}, urlOfSource: {} };
  const urlOf = (file: string) => `/${file.replace(/(^|\/)index\.md$/, '$1').replace(/\.md$/, '.html')}`;
  for (const page of sources.pages) {
    links.sourceOfFile[page.file] = page.source!;
    links.urlOfSource[page.source!] = urlOf(page.file);
  }
  // A link to a documented source file opens its page of the API reference.
  for (const module of api ?? []) links.urlOfSource[`${module.name}.ts`] = module.href;
  // The SVGs beside a page (Graphviz diagrams of a key) are served under /diagrams/<folder>/.
  const publicDir = join(srcDir, 'public');
  for (const folder of new Set(sources.pages.map((p) => posix.dirname(p.source!)))) {
    for (const svg of readdirSync(join(repoRoot, folder)).filter((f) => f.endsWith('.svg'))) {
      const url = routes.diagram(`${folder.replaceAll('/', '-')}/${svg}`);
      links.urlOfSource[posix.join(folder, svg)] = url;
      mkdirSync(join(publicDir, posix.dirname(url)), { recursive: true });
      cpSync(join(repoRoot, folder, svg), join(publicDir, url));
    }
  }
  const rendered: RenderedDiagram[] = [];
  const readmes = new Map<string, string>();
  for (const page of sources.pages) {
    const markdown = readFileSync(join(repoRoot, page.source!), 'utf8');
    if (page.kind === 'model') readmes.set(page.file.replace(/^models\/|\.md$/g, ''), markdown);
    mkdirSync(join(srcDir, posix.dirname(page.file)), { recursive: true });
    // The benchmarks' tables are full of figures like 3.1 (seconds) that a search for a task
    // number would land on: that page stays out of the search index (VitePress's `search: false`).
    const frontmatter = page.source === 'bench/results.md' ? '---\nsearch: false\n---\n\n' : '';
    write(page.file, frontmatter + sitePage(sources, page, markdown, api ?? [], rendered, log));
  }
  mkdirSync(join(publicDir, 'diagrams'), { recursive: true });
  for (const diagram of rendered) writeFileSync(join(publicDir, routes.diagram(diagram.file)), diagram.svg);
  write('invariants.md', invariantsPage(sources));
  mkdirSync(join(srcDir, 'models'), { recursive: true });
  write('models/index.md', modelsPage(sources, readmes));
  if (api) write('api.md', apiPage(sources, api));
  return { links, diagrams: rendered.length };
}

let builds = 0;

/** A VitePress root for one build: its config and theme are those of docs/.vitepress. */
function buildRoot(variant: string): string {
  const root = join(repoRoot, '.tmp', 'site-root', `${variant}-${process.pid}-${++builds}`);
  rmSync(join(repoRoot, '.tmp', 'site-root'), { recursive: true, force: true });
  const docs = join(repoRoot, 'docs', '.vitepress');
  mkdirSync(join(root, '.vitepress', 'theme'), { recursive: true });
  writeFileSync(join(root, '.vitepress', 'config.mts'), `export { default } from ${JSON.stringify(join(docs, 'config.mts'))};\n`);
  writeFileSync(join(root, '.vitepress', 'theme', 'index.ts'), `export { default } from ${JSON.stringify(join(docs, 'theme', 'index.ts'))};\n`);
  return root;
}

export async function buildSite(options: SiteOptions = {}): Promise<SiteReport> {
  const log = options.log ?? (() => {});
  const solutions = options.solutions ?? true;
  const outDir = options.outDir ?? (solutions ? defaultSiteDir : defaultStudentSiteDir);
  const variant = solutions ? 'full' : 'student';
  const srcDir = join(repoRoot, '.tmp', 'site-src', variant);
  rmSync(srcDir, { recursive: true, force: true });
  mkdirSync(srcDir, { recursive: true });

  const sources = await scanSources({ solutions, warn: (line) => log(`site: ${line}`) });
  const api = options.api ? apiModules() : undefined;
  const { links, diagrams } = writeSources(sources, srcDir, api, (line) => log(`site: ${line}`));

  const manifest = {
    srcDir,
    outDir,
    cacheDir: join(repoRoot, '.tmp', 'vitepress-cache', variant),
    title: 'Payment System Design',
    description: 'An executable workbook: idempotency keys, a double-entry ledger, webhook delivery and high-availability payments, every answer checked by a model.',
    student: !solutions,
    ...navigation(sources, Boolean(api)),
    links,
    invariants: Object.fromEntries(sources.invariants.map((i) => [i.id, routes.invariant(i.id)])),
  };
  // typedoc (when its sources changed) runs beside VitePress, in a process of its own.
  const apiStarted = performance.now();
  const apiReady = api ? prepareApi().then((r) => ({ ...r, seconds: (performance.now() - apiStarted) / 1000 })) : undefined;
  apiReady?.catch(() => {}); // awaited below; a failure must not go unhandled while VitePress builds
  const manifestPath = join(srcDir, '..', `${variant}.json`);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const started = performance.now();
  const previous = process.env.SITE_MANIFEST;
  process.env.SITE_MANIFEST = manifestPath;
  try {
    const { build, disposeMdItInstance } = await import('vitepress');
    // VitePress keeps its markdown-it instance between builds of one process, and renders
    // pages by importing the server bundle it writes under <root>/.vitepress/.temp, which Node
    // then caches by path: a second build in one process (the student site after the full
    // one) gets a fresh markdown-it and a root of its own, re-exporting docs/.vitepress.
    disposeMdItInstance();
    await build(buildRoot(variant), { outDir });
    disposeMdItInstance();
  } finally {
    if (previous === undefined) delete process.env.SITE_MANIFEST;
    else process.env.SITE_MANIFEST = previous;
  }
  // typedoc's HTML goes in after VitePress has written its output (VitePress empties outDir
  // first, and copying it through VitePress's public folder would copy every file twice).
  let apiCached: boolean | undefined;
  if (apiReady) {
    const { cached, seconds } = await apiReady;
    installApi(join(outDir, 'typedoc'), sources);
    apiCached = cached;
    log(`site: API reference ${cached ? 'unchanged, reused' : `generated by typedoc in ${seconds.toFixed(1)} s, beside VitePress`}`);
  }
  const pages = (readdirSync(outDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.html') && !f.startsWith('typedoc')).length;
  log(`site: ${pages} pages, ${diagrams} diagrams rendered, VitePress ${((performance.now() - started) / 1000).toFixed(1)} s → ${posix.relative(repoRoot, outDir) || outDir}`);
  if (!solutions) {
    const leaks = checkStudentSite(outDir);
    if (leaks.length) throw new Error(`the student site holds answers:\n  ${leaks.join('\n  ')}`);
    log('site: the student site holds no answer key and no reference answer');
  }
  if (!existsSync(join(outDir, 'index.html'))) throw new Error(`VitePress wrote no index.html to ${outDir}`);
  return { outDir, pages, diagrams, apiCached };
}
