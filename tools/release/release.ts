/**
 * A student release (nbgrader's "generate assignment"): a repository a course hands out,
 * with the chapters, fresh stubs, the models, the checks a student may see and the tooling
 * to run them, and no reference answer, answer key or hidden check anywhere in it.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chapterEntries, chapterModule, pristineStubsDir, solutionsDir } from '../chapters.ts';
import type { Chapter } from '../grading/task.ts';
import { hasSolutionMarkers, languageOf, stripSolutions } from '../build/stubs.ts';
import { fillValues } from '../build/generated.ts';
import type { ChapterKey } from '../build/chapter-key.ts';
import { resetVariant } from '../variant.ts';
import { classroomWorkflow, type ClassroomTask } from './classroom.ts';
import { releasedFiles } from './contents.ts';
import { studentReadme } from './student-readme.ts';

export interface ReleaseOptions {
  /** Points per task id (default 1 each). */
  points?: Record<string, number>;
  /** Replace a target folder that is not empty. */
  force?: boolean;
  /** A cohort's variant file, carried as the release's `variant.json` (see tools/variant.ts). */
  variant?: string;
}

export interface Release {
  dir: string;
  files: string[];
  tasks: ClassroomTask[];
}

/** The scripts a student runs; the instructor's (build, test, bench, grade, release) stay behind. */
const studentScripts = /^(start|check|watch|hint|reset|docs|serve|webhook|typecheck)$/;

export async function writeRelease(root: string, target: string, options: ReleaseOptions = {}): Promise<Release> {
  const dir = resolve(target);
  const rel = relative(root, dir);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith('/') && !/^\.tmp(\/|$)/.test(rel))) {
    throw new Error(`the release cannot be written inside the repository (${dir}); choose a folder outside it, or under .tmp/`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!options.force) throw new Error(`${dir} is not empty (--force replaces it)`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  // Before any chapter is imported: each reads its scenario figures when it loads.
  if (options.variant) {
    process.env.WORKBOOK_VARIANT = resolve(options.variant);
    resetVariant();
  }
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };

  const files = releasedFiles(root);
  for (const file of files) cpSync(join(root, file), join(dir, file));

  // Fresh stubs from the reference answers, whatever the instructor's exercises/ holds now.
  for (const entry of chapterEntries) {
    const from = solutionsDir(entry);
    if (!existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      const language = languageOf(name);
      if (!language || name === 'key.ts') continue;
      const text = readFileSync(join(from, name), 'utf8');
      if (!hasSolutionMarkers(text)) continue;
      const stub = stripSolutions(text, language, join('solutions', entry.slug, name));
      write(join('exercises', entry.slug, name), stub);
      write(join(relative(root, pristineStubsDir), entry.slug, name), stub); // for `npm run reset`
    }
  }

  const tasks: ClassroomTask[] = [];
  const chapters: { number: number; slug: string; title: string; tasks: number }[] = [];
  for (const entry of chapterEntries) {
    const { chapter } = (await import(pathToFileURL(chapterModule(entry)).href)) as { chapter: Chapter<unknown> };
    chapters.push({ number: entry.number, slug: entry.slug, title: chapter.title, tasks: chapter.tasks.length });
    for (const task of chapter.tasks) tasks.push({ id: task.id, title: task.title, points: options.points?.[task.id] ?? 1 });
  }

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  pkg.scripts = Object.fromEntries(
    Object.entries(pkg.scripts).filter(([name, command]) => {
      if (!studentScripts.test(name)) return false;
      const script = /\btools\/[\w/.-]+\.(ts|mjs)\b/.exec(command)?.[0];
      return !script || existsSync(join(dir, script));
    }),
  );
  // A release has no keys: its site is the student site.
  for (const name of ['docs', 'serve']) if (pkg.scripts[name]) pkg.scripts[name] += ' --no-solutions';
  write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);

  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { include: string[] };
  tsconfig.include = tsconfig.include.filter((path) => existsSync(join(dir, path)));
  write('tsconfig.json', `${JSON.stringify(tsconfig, null, 2)}\n`);

  if (options.variant) {
    write('variant.json', readFileSync(options.variant, 'utf8'));
    // The texts quote the cohort's figures, taken from its keys' values as the build does.
    for (const entry of chapterEntries) {
      const key = join(solutionsDir(entry), 'key.ts');
      const text = join(dir, 'exercises', entry.slug, 'README.md');
      if (!existsSync(key) || !existsSync(text)) continue;
      const { buildKey } = (await import(pathToFileURL(key).href)) as { buildKey: () => Promise<ChapterKey> };
      writeFileSync(text, fillValues(readFileSync(text, 'utf8'), (await buildKey()).textValues ?? {}, text));
    }
  }
  write('README.md', studentReadme(chapters, Object.keys(pkg.scripts)));
  write('.github/workflows/classroom.yml', classroomWorkflow(tasks));
  return { dir, files: releasedFiles(dir).concat('README.md', '.github/workflows/classroom.yml'), tasks };
}
