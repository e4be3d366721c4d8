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
 *   npm run build -- --force      run every step, even those whose inputs did not change
 *   npm run build -- --timings F  write each step's wall and CPU milliseconds to F (JSON)
 *   npm run build -- --jobs N     chapters built at once, each in a process of its own
 *                                 (default: the machine's cores; 1 builds them in this process)
 *
 * Incremental: a chapter (stubs, key, reference answers checked) or the site is rebuilt only
 * when a file it reads changed or an output it wrote was changed or removed (tools/build/cache.ts,
 * recorded in .cache/, not tracked). A fresh clone or CI has no cache: everything runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chapterEntries, chapterModule, exercisesDir, findChapter, repoRoot, solutionsDir, type ChapterEntry } from '../chapters.ts';
import { loadAnswersOrReport, runTask } from '../grading/run-task.ts';
import type { Chapter } from '../grading/task.ts';
import { hasSolutionMarkers, languageOf, stripSolutions, todoCount } from '../build/stubs.ts';
import { fillValues, replaceGeneratedBlock, writeIfChanged } from '../build/generated.ts';
import type { ChapterKey } from '../build/chapter-key.ts';
import { buildSite } from '../site/build-site.ts';
import { BuildCache, type StepRecord } from '../build/cache.ts';
import { stepInputs } from '../build/inputs.ts';
import { markdownTable } from '../render/table.ts';
import { commandLine } from './args.ts';

const { values } = commandLine('usage:\n    npm run build                 everything\n    npm run build -- --chapter 1  one chapter\'s stubs and key\n    npm run build -- --no-site    skip the HTML site (and its API reference)\n    npm run build -- --variant cohort.json\n    npm run build -- --overwrite-answers\n    npm run build -- --force      run every step, even those whose inputs did not change\n    npm run build -- --timings F  write each step\'s wall and CPU milliseconds to F (JSON)\n    npm run build -- --jobs N     chapters built at once, each in a process of its own', {
  options: {
    chapter: { type: 'string', short: 'c' },
    'no-site': { type: 'boolean', default: false },
    'overwrite-answers': { type: 'boolean', default: false },
    variant: { type: 'string' },
    force: { type: 'boolean', default: false },
    timings: { type: 'string' },
    jobs: { type: 'string' },
    // Internal: a chapter built by a parent build writes its outcome here instead of the cache.
    outcome: { type: 'string' },
  },
});
// Before any chapter is imported: each reads its scenario figures when it loads.
if (values.variant) process.env.WORKBOOK_VARIANT = resolve(values.variant);

const log = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const changed: string[] = [];
/** Every file the current step writes (changed or not): its outputs, for the cache. */
let written: string[] = [];
const write = (path: string, content: string) => {
  written.push(relative(repoRoot, path));
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
      written.push(relative(repoRoot, target));
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
  if (!existsSync(module)) {
    log(`  chapter ${entry.number}: no key.ts yet`);
    return undefined;
  }
  const { buildKey } = (await import(pathToFileURL(module).href)) as { buildKey: () => Promise<ChapterKey> };
  const key = await buildKey();
  const summary = [
    `${entry.number}`,
    `[${chapterTitle(entry)}](exercises/${entry.slug}/README.md)`,
    `[answer key](solutions/${entry.slug}/KEY.md)`,
    key.summary ?? '',
  ];
  write(join(solutionsDir(entry), 'KEY.md'), key.markdown.trimEnd() + '\n');
  for (const [name, content] of Object.entries(key.files)) write(join(solutionsDir(entry), name), content);
  const text = join(exercisesDir(entry), 'README.md');
  if (existsSync(text)) write(text, fillValues(readFileSync(text, 'utf8'), key.textValues ?? {}, text));
  for (const [model, figures] of Object.entries(key.modelFigures ?? {})) {
    const readme = join(repoRoot, 'models', model, 'README.md');
    write(readme, replaceGeneratedBlock(readFileSync(readme, 'utf8'), 'figures', figures, readme));
  }
  return summary;
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

/** Wall and CPU time of each step, for `npm run bench`. */
const timings: { step: string; wallMs: number; cpuMs: number; skipped: boolean }[] = [];
async function timed<T>(step: string, run: () => Promise<T> | T, skipped = false): Promise<T> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(cpu);
  timings.push({ step, wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000, skipped });
  return result;
}

/** What a chapter reads: its key's and checks' modules (and their folders), its solutions and text. */
const chapterInputs = (entry: ChapterEntry) =>
  stepInputs(
    [join(solutionsDir(entry), 'key.ts'), chapterModule(entry), ...readdirSync(solutionsDir(entry)).filter((f) => f.endsWith('.ts')).map((f) => join(solutionsDir(entry), f)), join(repoRoot, 'tools/cli/build.ts')],
    [solutionsDir(entry), join(exercisesDir(entry), 'README.md')],
    repoRoot,
  );

interface ChapterReport {
  summary?: string[];
}

/** What building one chapter produced, as a child build hands it to its parent. */
interface ChapterOutcome {
  summary?: string[];
  failing: string[];
  changed: string[];
  timings: typeof timings;
  record?: StepRecord<ChapterReport>;
}

/** Build chapters each in a process of its own, `jobs` at a time (two cores build two chapters at once). */
async function buildInChildren(stale: readonly ChapterEntry[], jobs: number): Promise<Map<ChapterEntry, ChapterOutcome>> {
  const dir = mkdtempSync(join(tmpdir(), 'build-'));
  const outcomes = new Map<ChapterEntry, ChapterOutcome>();
  const queue = [...stale];
  const script = fileURLToPath(import.meta.url);
  const worker = async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      const file = join(dir, `${entry.slug}.json`);
      const args = ['--import', 'tsx', script, '--chapter', entry.slug, '--no-site', '--outcome', file];
      if (values.force) args.push('--force');
      if (values['overwrite-answers']) args.push('--overwrite-answers');
      const code = await new Promise<number>((done) => {
        const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('exit', (status) => done(status ?? 1));
        child.on('error', () => done(1));
      });
      // A process that died before reporting (killed, out of memory, a check that threw) is not
      // trusted with a verdict: its chapter is built again in this process.
      if (existsSync(file)) outcomes.set(entry, JSON.parse(readFileSync(file, 'utf8')) as ChapterOutcome);
      else log(`chapter ${entry.number} (${entry.slug}): its build process exited with code ${code} before reporting; building it again here`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, stale.length) }, worker));
  rmSync(dir, { recursive: true, force: true });
  return outcomes;
}

const cache = new BuildCache(repoRoot, values.force);
const started = performance.now();
const broken: string[] = [];
const entries = values.chapter ? [findChapter(values.chapter)] : chapterEntries.filter((c) => existsSync(solutionsDir(c)));
const jobs = values.jobs ? Math.max(1, Number(values.jobs)) : availableParallelism();
const stale = entries.filter((entry) => !cache.upToDate(`chapter ${entry.slug}`, chapterInputs(entry)));
const built = !values.chapter && jobs > 1 && stale.length > 1 ? await buildInChildren(stale, jobs) : new Map<ChapterEntry, ChapterOutcome>();
for (const entry of entries) {
  const t = performance.now();
  const step = `chapter ${entry.slug}`;
  const outcome = built.get(entry);
  if (outcome) {
    if (outcome.summary) summaries.push(outcome.summary);
    if (outcome.record) cache.put(step, outcome.record);
    else cache.forget(step);
    changed.push(...outcome.changed);
    timings.push(...outcome.timings);
    broken.push(...outcome.failing.map((line) => `chapter ${entry.number}: ${line}`));
    continue;
  }
  const inputs = chapterInputs(entry);
  const cached = cache.upToDate<ChapterReport>(step, inputs);
  if (cached) {
    await timed(step, () => undefined, true);
    if (cached.summary) summaries.push(cached.summary);
    log(`chapter ${entry.number} (${entry.slug}): unchanged since the last build, skipped (--force rebuilds it)`);
    if (values.outcome) {
      const outcome: ChapterOutcome = { summary: cached.summary, failing: [], changed, timings, record: cache.entry<ChapterReport>(step) };
      writeFileSync(values.outcome, JSON.stringify(outcome));
      process.exit(0);
    }
    continue;
  }
  written = [];
  cache.forget(step);
  let summary: string[] | undefined;
  const failing = await timed(step, async () => {
    buildStubs(entry);
    summary = await buildKey(entry);
    if (summary) summaries.push(summary);
    const failing = await verifyReferenceAnswers(entry);
    // A chapter whose reference answers fail runs again next time: the failure may be the
    // environment's (a database that did not start), not its inputs'.
    if (failing.length === 0) cache.record<ChapterReport>(step, chapterInputs(entry), written, { summary });
    return failing;
  });
  broken.push(...failing.map((line) => `chapter ${entry.number}: ${line}`));
  log(`chapter ${entry.number} (${entry.slug}): stubs and key in ${seconds(t)}; reference answers ${failing.length ? `FAIL ${failing.length} task(s)` : 'pass'}`);
  if (values.outcome) {
    const outcome: ChapterOutcome = { summary, failing, changed, timings, record: cache.entry<ChapterReport>(step) };
    writeFileSync(values.outcome, JSON.stringify(outcome));
    process.exit(0);
  }
}
if (!values.chapter) {
  const readme = join(repoRoot, 'README.md');
  const table = markdownTable(['#', 'chapter', 'key', 'checked'], summaries);
  write(readme, replaceGeneratedBlock(readFileSync(readme, 'utf8'), 'chapters', table, readme));
}
if (!values['no-site']) {
  const t = performance.now();
  // The site reads every chapter's text and key, the models' READMEs and the modules typedoc documents.
  const siteInputs = () =>
    stepInputs(
      [join(repoRoot, 'tools/site/build-site.ts'), join(repoRoot, 'tools/explore/explore.ts'), join(repoRoot, 'tools/grading/task.ts'), ...['models', 'specs'].flatMap((dir) => readdirSync(join(repoRoot, dir)).flatMap((sub) => (existsSync(join(repoRoot, dir, sub)) && !sub.includes('.') ? readdirSync(join(repoRoot, dir, sub)).filter((f) => f.endsWith('.ts')).map((f) => join(repoRoot, dir, sub, f)) : [])))],
      [join(repoRoot, 'README.md'), join(repoRoot, 'ARCHITECTURE.md'), join(repoRoot, 'bench', 'results.md'), join(repoRoot, 'tsconfig.json'), ...readdirSync(join(repoRoot, 'models')).map((m) => join(repoRoot, 'models', m, 'README.md')), ...chapterEntries.flatMap((c) => [solutionsDir(c), exercisesDir(c)])],
      repoRoot,
    );
  if (cache.upToDate('site', siteInputs())) {
    await timed('site', () => undefined, true);
    log('site: unchanged since the last build, skipped');
  } else {
    cache.forget('site');
    await timed('site', () => buildSite({ api: true, log: (line) => log(`  ${line}`) }));
    cache.record('site', siteInputs(), ['docs/site/index.html'], {});
    log(`site: docs/site/index.html in ${seconds(t)}`);
  }
}
cache.save();
if (values.timings) writeFileSync(values.timings, JSON.stringify(timings, null, 1));
log(changed.length ? `changed:\n${changed.map((f) => `  ${f}`).join('\n')}` : 'no generated file changed');
log(`build done in ${seconds(started)}`);
if (broken.length) {
  log(`\nThe reference answers in solutions/ no longer pass their checks (the keys were written anyway, showing the failures):\n${broken.map((line) => `  ${line}`).join('\n')}`);
}
// Chapters may hold a database open; the build is done.
process.exit(broken.length ? 1 : 0);
