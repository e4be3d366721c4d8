/**
 * `npm run build`: regenerate everything derived from the models and reference answers —
 * student stubs, answer keys and their diagrams, the models' figures — then the site.
 *
 *   npm run build                 everything
 *   npm run build -- --chapter 1  one chapter's stubs and key
 *   npm run build -- --no-site    skip the HTML site (and its API reference)
 *   npm run build -- --variant cohort.json
 *                                 a cohort's scenario figures (see tools/variant.ts)
 *   npm run build -- --overwrite-answers
 *                                 replace student stubs even where answers were written
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chapterEntries, chapterModule, exercisesDir, findChapter, repoRoot, solutionsDir, type ChapterEntry } from '../chapters.ts';
import { loadAnswersOrReport, runTask } from '../grading/run-task.ts';
import type { Chapter } from '../grading/task.ts';
import { hasSolutionMarkers, languageOf, stripSolutions, todoCount } from '../build/stubs.ts';
import { fillValues, replaceGeneratedBlock, writeIfChanged } from '../build/generated.ts';
import type { ChapterKey } from '../build/chapter-key.ts';
import { buildSite } from '../site/build-site.ts';
import { markdownTable } from '../render/table.ts';

const { values } = parseArgs({
  options: {
    chapter: { type: 'string', short: 'c' },
    'no-site': { type: 'boolean', default: false },
    'overwrite-answers': { type: 'boolean', default: false },
    variant: { type: 'string' },
  },
});
// Before any chapter is imported: each reads its scenario figures when it loads.
if (values.variant) process.env.WORKBOOK_VARIANT = resolve(values.variant);

const log = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const changed: string[] = [];
const write = (path: string, content: string) => {
  if (writeIfChanged(path, content)) changed.push(relative(repoRoot, path));
};

function buildStubs(entry: ChapterEntry) {
  const from = solutionsDir(entry);
  for (const file of readdirSync(from)) {
    const language = languageOf(file);
    if (!language || file === 'key.ts') continue;
    const text = readFileSync(join(from, file), 'utf8');
    if (!hasSolutionMarkers(text)) continue;
    const stub = stripSolutions(text, language, join('solutions', entry.slug, file));
    const target = join(exercisesDir(entry), file);
    // A student who runs the build must not lose their answers: a stub with fewer TODOs
    // left than the fresh one has been answered, and is kept unless asked otherwise.
    if (existsSync(target) && !values['overwrite-answers'] && todoCount(readFileSync(target, 'utf8')) < todoCount(stub)) {
      log(`  kept ${relative(repoRoot, target)}: it holds answers (--overwrite-answers replaces it with a fresh stub)`);
      continue;
    }
    write(target, stub);
  }
}

const summaries: string[][] = [];
const chapterTitle = (entry: ChapterEntry) => {
  const text = join(exercisesDir(entry), 'README.md');
  return (existsSync(text) && /^#\s+(.*)$/m.exec(readFileSync(text, 'utf8'))?.[1]) || entry.slug;
};

async function buildKey(entry: ChapterEntry) {
  const module = join(solutionsDir(entry), 'key.ts');
  if (!existsSync(module)) return log(`  chapter ${entry.number}: no key.ts yet`);
  const { buildKey } = (await import(pathToFileURL(module).href)) as { buildKey: () => Promise<ChapterKey> };
  const key = await buildKey();
  summaries.push([
    `${entry.number}`,
    `[${chapterTitle(entry)}](exercises/${entry.slug}/README.md)`,
    `[answer key](solutions/${entry.slug}/KEY.md)`,
    key.summary ?? '',
  ]);
  write(join(solutionsDir(entry), 'KEY.md'), key.markdown.trimEnd() + '\n');
  for (const [name, content] of Object.entries(key.files)) write(join(solutionsDir(entry), name), content);
  const text = join(exercisesDir(entry), 'README.md');
  if (existsSync(text)) write(text, fillValues(readFileSync(text, 'utf8'), key.textValues ?? {}, text));
  for (const [model, figures] of Object.entries(key.modelFigures ?? {})) {
    const readme = join(repoRoot, 'models', model, 'README.md');
    write(readme, replaceGeneratedBlock(readFileSync(readme, 'utf8'), 'figures', figures, readme));
  }
}

/**
 * The reference answers must pass their own checks: an instructor who changes a model's
 * parameter learns here, not from a FAIL row deep in a generated key.
 */
async function verifyReferenceAnswers(entry: ChapterEntry): Promise<string[]> {
  const { chapter } = (await import(pathToFileURL(chapterModule(entry)).href)) as { chapter: Chapter<unknown> };
  const loaded = await loadAnswersOrReport(chapter, solutionsDir(entry));
  if ('reports' in loaded) return loaded.reports.map((r) => `${r.id} ${r.status.toUpperCase()}: ${r.message}`);
  // One task at a time: a chapter's checks may share one database connection.
  const reports = [];
  for (const task of chapter.tasks) reports.push(await runTask(chapter, task, loaded.answers));
  return reports.filter((r) => r.status !== 'pass').map((r) => `${r.id} ${r.status.toUpperCase()}: ${r.message}`);
}

const started = performance.now();
const broken: string[] = [];
const entries = values.chapter ? [findChapter(values.chapter)] : chapterEntries.filter((c) => existsSync(solutionsDir(c)));
for (const entry of entries) {
  const t = performance.now();
  buildStubs(entry);
  await buildKey(entry);
  const failing = await verifyReferenceAnswers(entry);
  broken.push(...failing.map((line) => `chapter ${entry.number}: ${line}`));
  log(`chapter ${entry.number} (${entry.slug}): stubs and key in ${seconds(t)}; reference answers ${failing.length ? `FAIL ${failing.length} task(s)` : 'pass'}`);
}
if (!values.chapter) {
  const readme = join(repoRoot, 'README.md');
  const table = markdownTable(['#', 'chapter', 'key', 'checked'], summaries);
  write(readme, replaceGeneratedBlock(readFileSync(readme, 'utf8'), 'chapters', table, readme));
}
if (!values['no-site']) {
  const t = performance.now();
  await buildSite({ api: true, log: (line) => log(`  ${line}`) });
  log(`site: docs/site/index.html in ${seconds(t)}`);
}
log(changed.length ? `changed:\n${changed.map((f) => `  ${f}`).join('\n')}` : 'no generated file changed');
log(`build done in ${seconds(started)}`);
if (broken.length) {
  log(`\nThe reference answers in solutions/ no longer pass their checks (the keys were written anyway, showing the failures):\n${broken.map((line) => `  ${line}`).join('\n')}`);
}
// Chapters may hold a database open; the build is done.
process.exit(broken.length ? 1 : 0);
