/**
 * What a build step reads, for incremental builds: the TypeScript modules it imports
 * (followed transitively through relative imports), every other file in the folders of those
 * modules (SQL, JSON, text a module reads beside itself), and files named explicitly. Imports
 * of packages are covered by package-lock.json, which every step lists.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// `import … from './x.ts'`, `export … from './x.ts'`, `import('./x.ts')`, `import './x.ts'`.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Relative imports of one module, resolved to existing files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[1]!);
    for (const candidate of [target, `${target}.ts`, join(target, 'index.ts')]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) {
        found.push(candidate);
        break;
      }
    }
  }
  return found;
}

/** The modules reachable from `entries` through relative imports (the entries included). */
export function moduleClosure(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const pending = entries.filter((entry) => existsSync(entry));
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (/\.[cm]?[jt]s$/.test(file)) pending.push(...importsOf(file));
  }
  return [...seen].sort();
}

/**
 * The files a step reads: the closure of its entry modules, the other files in those modules'
 * folders (except Markdown and SVG, which the build writes), `extra` files or folders, the
 * lockfile and the cohort's variant file when there is one.
 */
export function stepInputs(entries: readonly string[], extra: readonly string[], root: string): string[] {
  const files = new Set(moduleClosure(entries));
  for (const dir of new Set([...files].map((file) => dirname(file)))) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!/\.(md|svg)$/.test(name) && statSync(path).isFile()) files.add(path);
    }
  }
  // A cohort's variant changes every figure without changing a module: it is an input too.
  const variant = process.env.WORKBOOK_VARIANT || join(root, 'variant.json');
  for (const path of [...extra, join(root, 'package-lock.json'), variant]) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) files.add(join(path, name));
    else files.add(path);
  }
  return [...files].filter((path) => statSync(path).isFile()).sort();
}

/** One hash of the files' paths (relative to root) and contents. */
export function hashFiles(files: readonly string[], root: string): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(relative(root, file));
    hash.update('\0');
    hash.update(existsSync(file) ? readFileSync(file) : Buffer.from('(missing)'));
    hash.update('\0');
  }
  return hash.digest('hex');
}
