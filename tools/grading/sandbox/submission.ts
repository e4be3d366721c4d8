/**
 * A submission's chapter folder, made safe to grade (trusted side).
 *
 * The grader never reads a student's folder where it lies: it first copies the regular files
 * into a private scratch folder (no symlink is followed, so a link to the reference answers
 * reads as nothing; each file and the whole folder are bounded in size), and the checks read
 * that copy. The answers module (answers.ts, with what it imports) is then bundled into the
 * folder the sandboxed process may read: an import of anything but the submission's own files
 * and the workbook's models/, specs/ and tools/ (the reference answers in `solutions/`, say)
 * does not bundle, so the answers do not load.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { repoRoot } from '../../chapters.ts';

/**
 * The modules of a chapter folder that chapters load (`importAnswersModule`, chapter 2's
 * prediction): only these run in the sandbox; an import of any other file of the folder by a
 * chapter's loader is refused (sandbox/hooks.mjs), so that no student file runs elsewhere.
 */
export const answerModules = ['answers.ts'];

const childScript = fileURLToPath(new URL('./child.mjs', import.meta.url));

/** Bounds on what a submission may hand in (a chapter's answers are a few kB). */
export const submissionLimits = { fileBytes: 1_000_000, totalBytes: 4_000_000, files: 200 };

export interface PreparedSubmission {
  /** The private scratch folder holding everything below; removed by `dispose`. */
  root: string;
  /** The copy of the chapter folder the checks read (what `loadAnswers` is given). */
  sourceDir: string;
  /** The bundles the sandboxed process loads, one per answers module. */
  runDir: string;
  /** The answers modules found, by name, with the reason when one does not bundle. */
  modules: { file: string; bundle?: string; error?: string }[];
  /** What was left out of the copy (links, oversize files), for the report. */
  skipped: string[];
  dispose: () => void;
}

const skippedDirs = new Set(['node_modules', '.git']);

export async function prepareSubmission(chapterDir: string, chapterSlug: string): Promise<PreparedSubmission> {
  // Named after the submission (the student's folder), so that its processes can be told apart.
  const owner = basename(dirname(resolve(chapterDir))).replace(/[^\w-]/g, '_').slice(0, 40);
  const root = mkdtempSync(join(tmpdir(), `grading-${owner}-`));
  const sourceDir = join(root, 'src', chapterSlug);
  const runDir = join(root, 'run');
  mkdirSync(sourceDir, { recursive: true });
  mkdirSync(runDir);
  const skipped: string[] = [];
  const budget = { bytes: 0, files: 0 };
  copyRegularFiles(resolve(chapterDir), sourceDir, skipped, budget);
  const files = answerModules.filter((name) => existsSync(join(sourceDir, name)));
  const modules = await Promise.all(files.map((file) => bundle(sourceDir, resolve(chapterDir), runDir, file)));
  // The sandbox may read its run folder only: its own script goes there too.
  copyFileSync(childScript, join(runDir, 'sandbox-child.mjs'));
  return { root, sourceDir, runDir, modules, skipped, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

function copyRegularFiles(from: string, to: string, skipped: string[], budget: { bytes: number; files: number }) {
  let entries: string[];
  try {
    entries = readdirSync(from);
  } catch {
    return; // no such folder: the chapter's loader reports the answers as not loading
  }
  for (const name of entries.sort()) {
    const source = join(from, name);
    const stat = lstatSync(source);
    if (stat.isDirectory()) {
      if (skippedDirs.has(name)) continue;
      mkdirSync(join(to, name));
      copyRegularFiles(source, join(to, name), skipped, budget);
    } else if (!stat.isFile()) {
      skipped.push(`${name} (not a regular file: links are not followed)`);
    } else if (stat.size > submissionLimits.fileBytes || budget.bytes + stat.size > submissionLimits.totalBytes || budget.files >= submissionLimits.files) {
      skipped.push(`${name} (${stat.size} bytes: over the ${submissionLimits.fileBytes / 1e6} MB a file, or ${submissionLimits.totalBytes / 1e6} MB a folder, may have)`);
    } else {
      budget.bytes += stat.size;
      budget.files += 1;
      copyFileSync(source, join(to, name));
    }
  }
}

/**
 * The workbook's code a submission may import at run time (the models' constants, the answer
 * types' helpers): it runs in the sandbox, so it can change nothing the checker sees. The
 * reference answers in solutions/ are never among it. (Packages' own files import each other.)
 */
const importable = [...['models', 'specs', 'tools'].map((dir) => join(repoRoot, dir)), realpathSync(join(repoRoot, 'node_modules'))];
const inside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

/**
 * Imports of files stay in the submission's folder or the workbook's importable code. The copy
 * lies elsewhere, so a relative import that leaves it is resolved from the original folder.
 */
const staysInside = (sourceDir: string, originalDir: string): Plugin => ({
  name: 'stays-inside-the-submission',
  setup(build) {
    build.onResolve({ filter: /^(\.|\/|file:)/ }, (args) => {
      const refuse = { errors: [{ text: `imports ${args.path}, which is outside the answer's own folder (answers may import their own files, the workbook's models/ and specs/, npm packages and node: modules)` }] };
      const direct = args.path.startsWith('file:') ? fileURLToPath(args.path) : resolve(args.resolveDir, args.path);
      if (inside(direct, sourceDir)) return undefined;
      // A relative import out of the copy means what it meant in the original folder.
      const relativeFromCopy = inside(args.resolveDir, sourceDir) && args.path.startsWith('.');
      const target = relativeFromCopy ? resolve(originalDir, relative(sourceDir, args.resolveDir), args.path) : direct;
      if (importable.some((dir) => inside(target, dir)) && existsSync(target)) {
        // The workbook's own file, not a link planted in it: its real path must stay inside too.
        const real = realpathSync(target);
        if (importable.some((dir) => inside(real, dir))) return { path: real };
      }
      return refuse;
    });
  },
});

async function bundle(sourceDir: string, originalDir: string, runDir: string, file: string): Promise<PreparedSubmission['modules'][number]> {
  const out = join(runDir, file.replace(/\.ts$/, '.mjs'));
  try {
    await build({
      entryPoints: [join(sourceDir, file)],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      absWorkingDir: sourceDir,
      nodePaths: [join(repoRoot, 'node_modules')],
      plugins: [staysInside(sourceDir, originalDir)],
    });
    return { file, bundle: out };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` (${relative(sourceDir, join(sourceDir, first.location.file))}:${first.location.line}:${first.location.column})` : '';
    return { file, error: first ? `${first.text}${where}` : String(error) };
  }
}

