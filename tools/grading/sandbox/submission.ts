/**
 * A submission's chapter folder, made safe to grade (trusted side).
 *
 * The grader never reads a student's folder where it lies: it first copies the regular files
 * into a private scratch folder (no symlink is followed, so a link to the reference answers
 * reads as nothing; each file and the whole folder are bounded in size), and the checks read
 * that copy. The TypeScript files are then bundled, one bundle per top-level file, into the
 * folder the sandboxed process may read: an import that leaves the submission's folder (the
 * reference answers in `solutions/`, say) does not bundle, so the answers do not load.
 */
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { repoRoot } from '../../chapters.ts';

const childScript = fileURLToPath(new URL('./child.mjs', import.meta.url));

/** Bounds on what a submission may hand in (a chapter's answers are a few kB). */
export const submissionLimits = { fileBytes: 1_000_000, totalBytes: 4_000_000, files: 200 };

export interface PreparedSubmission {
  /** The private scratch folder holding everything below; removed by `dispose`. */
  root: string;
  /** The copy of the chapter folder the checks read (what `loadAnswers` is given). */
  sourceDir: string;
  /** The bundles the sandboxed process loads, one per top-level `.ts` file. */
  runDir: string;
  /** Top-level TypeScript files, by name, with the reason when one does not bundle. */
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
  const files = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && lstatSync(join(sourceDir, name)).isFile())
    .sort();
  const modules = await Promise.all(files.map((file) => bundle(sourceDir, runDir, file)));
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
      skipped.push(`${name} (not a regular file: a link is not followed)`);
    } else if (stat.size > submissionLimits.fileBytes || budget.bytes + stat.size > submissionLimits.totalBytes || budget.files >= submissionLimits.files) {
      skipped.push(`${name} (${stat.size} bytes: over the size a submission may have)`);
    } else {
      budget.bytes += stat.size;
      budget.files += 1;
      copyFileSync(source, join(to, name));
    }
  }
}

/** Refuse any file import that leaves the submission's folder; packages and Node's own modules are fine. */
const staysInside = (sourceDir: string): Plugin => ({
  name: 'stays-inside-the-submission',
  setup(build) {
    build.onResolve({ filter: /^(\.|\/|file:)/ }, (args) => {
      const target = args.path.startsWith('file:') ? new URL(args.path).pathname : resolve(args.resolveDir, args.path);
      if (target === sourceDir || target.startsWith(sourceDir + sep)) return undefined;
      return { errors: [{ text: `imports ${args.path}, which is outside the answer's own folder (answers may import their own files, npm packages and node: modules only)` }] };
    });
  },
});

async function bundle(sourceDir: string, runDir: string, file: string): Promise<PreparedSubmission['modules'][number]> {
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
      plugins: [staysInside(sourceDir)],
    });
    return { file, bundle: out };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` (${relative(sourceDir, join(sourceDir, first.location.file))}:${first.location.line}:${first.location.column})` : '';
    return { file, error: first ? `${first.text}${where}` : String(error) };
  }
}

