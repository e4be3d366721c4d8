/**
 * What a student release holds, and what it never holds.
 *
 * The release is the instructor's repository minus everything that answers a task: the
 * reference answers and keys (`solutions/`), the tests (they run the reference answers), the
 * hidden checks, the instructor's tooling (build, bench, grading a class, this release) and
 * the contributor's files. A denylist keeps new student-facing files in by default; the
 * release test then type-checks the result, so a kept file that imports a dropped one fails.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Top-level entries copied into the release (the rest of the repository stays out). */
export const releasedRoots = ['exercises', 'models', 'specs', 'tools', 'docs', 'tsconfig.json', 'package-lock.json', '.gitignore'] as const;

/** Paths (relative, `/`-separated) left out even under a released root. */
const withheld: readonly RegExp[] = [
  /^specs\/[^/]+\/hidden(\.ts|\/)/, // the instructor's hidden checks
  /^specs\/[^/]+\/bench\.ts$/, // timings: the instructor's bench
  /^tools\/(bench|release)\//,
  /^tools\/cli\/(build|bench|release|grade|load-proof)\.ts$/,
  /^docs\/site(-student)?\//, // build output
  /(^|\/)\.vitepress\/\.temp(\/|$)/,
  /(^|\/)KEY\.md$/,
  /(^|\/)node_modules(\/|$)/,
  /(^|\/)\.vitepress\/(cache|dist)(\/|$)/,
];

export const isWithheld = (path: string) => withheld.some((pattern) => pattern.test(path));

/** The files git tracks in `root`, or null unless `root` is the top of a git work tree. */
function trackedFiles(root: string): Set<string> | null {
  try {
    // A release written under the repository's ignored .tmp/ is inside a work tree but not its top.
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (realpathSync(top) !== realpathSync(root)) return null;
    const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return new Set(out.split('\0').filter(Boolean));
  } catch {
    return null;
  }
}

/**
 * Every file the release copies from `root`, relative and `/`-separated: in a git work tree
 * only tracked files (build output, caches and scratch files never travel), else every file
 * the denylist lets through.
 */
export function releasedFiles(root: string): string[] {
  const tracked = trackedFiles(root);
  const files: string[] = [];
  const walk = (path: string) => {
    const rel = relative(root, path).split(sep).join('/');
    if (rel && isWithheld(rel)) return;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (stat.isFile() && (!tracked || tracked.has(rel))) files.push(rel);
  };
  for (const top of releasedRoots) walk(join(root, top));
  return files;
}
