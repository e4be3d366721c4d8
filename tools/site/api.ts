/**
 * typedoc's API reference of the models, the invariants, the answer types and the tools the
 * checks are built on, written into the site under /typedoc/ with links back into the
 * workbook's navigation. typedoc takes most of a site build, so its output is kept in
 * `.tmp/typedoc/<hash>` and reused while none of its inputs has changed.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../chapters.ts';
import type { SiteSources } from './sources.ts';

export interface ApiModule {
  /** "models/idempotency-store/machine" */
  name: string;
  /** Its page on the site. */
  href: string;
  /** The first sentence of the file's leading doc comment. */
  summary: string;
}

export const apiBase = '/typedoc/';

/** The entry points, found by scanning: every model file, every chapter's invariants and answer types, two tools. */
export function apiEntryPoints(): string[] {
  const files: string[] = [];
  const ts = (dir: string) => (existsSync(join(repoRoot, dir)) ? readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith('.ts')).sort() : []);
  for (const model of readdirSync(join(repoRoot, 'models')).sort()) files.push(...ts(`models/${model}`).map((f) => `models/${model}/${f}`));
  for (const spec of readdirSync(join(repoRoot, 'specs')).sort()) {
    files.push(...ts(`specs/${spec}`).filter((f) => f === 'invariants.ts' || f === 'answer-types.ts').map((f) => `specs/${spec}/${f}`));
  }
  files.push(...['tools/explore/explore.ts', 'tools/grading/task.ts'].filter((f) => existsSync(join(repoRoot, f))));
  return files;
}

/** The leading `/** … *\/` of a file, its first sentence, on one line. */
export function summaryOf(source: string): string {
  const comment = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const text = comment.replace(/^\s*\*\s?/gm, '').replace(/\s+/g, ' ').trim();
  const sentence = /^(.*?[.:])(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.replace(/[:]$/, '.');
}

export function apiModules(): ApiModule[] {
  return apiEntryPoints().map((file) => {
    const name = file.replace(/\.ts$/, '');
    return { name, href: `${apiBase}modules/${name.replaceAll('/', '_')}.html`, summary: summaryOf(readFileSync(join(repoRoot, file), 'utf8')) };
  });
}

/** A hash of everything typedoc reads: the sources it documents (and what they import), its version, our options. */
function inputsHash(options: object): string {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  hash.update(JSON.stringify(options));
  hash.update((require('typedoc/package.json') as { version: string }).version);
  hash.update(readFileSync(join(repoRoot, 'tsconfig.json')));
  hash.update(readFileSync(join(repoRoot, 'tools', 'site', 'typedoc-appearance.js')));
  for (const dir of ['models', 'specs', 'tools/explore', 'tools/grading']) {
    for (const file of (readdirSync(join(repoRoot, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort()) {
      hash.update(file);
      hash.update(readFileSync(join(repoRoot, dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A module's page of the reference links back to the workbook page it documents: a model's
 * file to the model's page, a chapter's specs to the chapter.
 */
export function linkBack(outDir: string, sources: Pick<SiteSources, 'models' | 'chapters'>): void {
  for (const module of apiModules()) {
    const [top, name] = module.name.split('/');
    const model = top === 'models' && sources.models.find((m) => m.slug === name);
    const chapter = top === 'specs' && sources.chapters.find((c) => c.slug === name);
    const target = model ? { href: `/models/${model.slug}.html`, text: `${model.title.replace(/^Model:\s*/, '')}: the model’s page in the workbook` } : chapter ? { href: `/${chapter.slug}/`, text: `${chapter.title}, in the workbook` } : undefined;
    const file = join(outDir, module.href.slice(apiBase.length));
    if (!target || !existsSync(file)) continue;
    const html = readFileSync(file, 'utf8');
    writeFileSync(file, html.replace(/<\/h1>/, `</h1><p class="tsd-workbook-link">← <a href="${target.href}">${target.text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</a></p>`));
  }
}

const typedocOptions = () => ({
  entryPoints: apiEntryPoints(),
  name: 'Payment System Design — API',
  // Links back into the workbook, absolute so they hold on every page of the reference.
  navigationLinks: { Workbook: '/index.html', Invariants: '/invariants.html', Models: '/models/index.html', 'API overview': '/api.html' },
  customJs: 'tools/site/typedoc-appearance.js',
});

/** Where the reference of the current sources is kept (it may not exist yet). */
export const apiCacheDir = () => join(repoRoot, '.tmp', 'typedoc', inputsHash(typedocOptions()));

/** Runs typedoc and writes its HTML to the cache (run by `typedoc-child.ts`, in a process of its own). */
export async function generateApi(): Promise<void> {
  const options = typedocOptions();
  const cache = apiCacheDir();
  const typedoc = await import('typedoc');
  const app = await typedoc.Application.bootstrapWithPlugins({
    ...options,
    entryPoints: options.entryPoints.map((p) => join(repoRoot, p)),
    customJs: join(repoRoot, options.customJs),
    tsconfig: join(repoRoot, 'tsconfig.json'),
    readme: 'none',
    logLevel: 'Warn',
    skipErrorChecking: true,
    disableSources: true,
  });
  const project = await app.convert();
  if (!project) throw new Error('typedoc could not convert the project');
  const partial = join(repoRoot, '.tmp', `typedoc-${process.pid}.partial`);
  rmSync(partial, { recursive: true, force: true });
  await app.generateDocs(project, partial);
  // Only the newest reference is kept.
  rmSync(join(repoRoot, '.tmp', 'typedoc'), { recursive: true, force: true, maxRetries: 2 });
  mkdirSync(join(repoRoot, '.tmp', 'typedoc'), { recursive: true });
  renameSync(partial, cache);
}

/**
 * Makes sure the reference of the current sources is in the cache. typedoc runs in a child
 * process, so that it uses the second core while VitePress builds the pages on the first.
 */
export async function prepareApi(): Promise<{ cached: boolean }> {
  if (existsSync(apiCacheDir())) return { cached: true };
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools', 'site', 'typedoc-child.ts')], { cwd: repoRoot }, (error, _stdout, stderr) =>
      error ? reject(new Error(`typedoc failed: ${stderr.trim() || error.message}`)) : resolve(),
    );
  });
  return { cached: false };
}

/** Copies the reference into the site's /typedoc/ and links its pages back to the workbook. */
export function installApi(outDir: string, sources: Pick<SiteSources, 'models' | 'chapters'>): void {
  cpSync(apiCacheDir(), outDir, { recursive: true });
  linkBack(outDir, sources);
}
