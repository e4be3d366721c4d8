/**
 * What a student release holds, and what it never holds.
 *
 * The release is the instructor's repository minus everything that answers a task: the
 * reference answers and keys (`solutions/`), the tests (they run the reference answers), the
 * hidden checks, the instructor's tooling (build, bench, grading a class, this release) and
 * the contributor's files. A denylist keeps new student-facing files in by default; the
 * release test then type-checks the result, so a kept file that imports a dropped one fails.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Top-level entries copied into the release (the rest of the repository stays out). */
export const releasedRoots = ['exercises', 'models', 'specs', 'tools', 'docs', 'tsconfig.json', 'package-lock.json', '.gitignore'] as const;

/** Paths (relative, `/`-separated) left out even under a released root. */
const withheld: readonly RegExp[] = [
  /^specs\/[^/]+\/hidden(\.ts|\/)/, // the instructor's hidden checks
  /^specs\/[^/]+\/bench\.ts$/, // timings: the instructor's bench
  /^tools\/(bench|release)\//,
  /^tools\/cli\/(build|bench|release|grade|load-proof)\.ts$/,
  /^docs\/site\//, // build output
  /(^|\/)KEY\.md$/,
  /(^|\/)node_modules(\/|$)/,
  /(^|\/)\.vitepress\/(cache|dist)(\/|$)/,
];

export const isWithheld = (path: string) => withheld.some((pattern) => pattern.test(path));

/** Every file the release copies from `root`, relative and `/`-separated. */
export function releasedFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    const rel = relative(root, path).split(sep).join('/');
    if (rel && isWithheld(rel)) return;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (stat.isFile()) files.push(rel);
  };
  for (const top of releasedRoots) walk(join(root, top));
  return files;
}
