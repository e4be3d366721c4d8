/**
 * `npm run release -- <dir>`: write a student repository — chapters, fresh stubs, models, the
 * checks a student may see, the tooling to run them and an autograding workflow — with no
 * reference answer, answer key or hidden check, and search it for leaks before saying done.
 *
 *   npm run release -- ../course-release [--force] [--points points.json] [--variant cohort.json]
 *
 * points.json maps task ids to points, e.g. { "1.2": 3, "4.1": 2 }; the rest count 1.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../chapters.ts';
import { writeRelease } from '../release/release.ts';
import { findReleaseLeaks } from '../release/audit.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage: npm run release -- <dir> [--force] [--points points.json] [--variant cohort.json]', {
  allowPositionals: true,
  options: { force: { type: 'boolean', default: false }, points: { type: 'string' }, variant: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run release -- <dir> [--force] [--points points.json] [--variant cohort.json]');
  process.exit(2);
}
try {
  const points = values.points ? (JSON.parse(readFileSync(values.points, 'utf8')) as Record<string, number>) : undefined;
  const release = await writeRelease(repoRoot, positionals[0]!, { force: values.force, points, variant: values.variant });
  const leaks = findReleaseLeaks(repoRoot, release.dir);
  if (leaks.length) {
    console.error(`The release holds reference text (${leaks.length} line(s)); it must not be handed out:`);
    for (const leak of leaks.slice(0, 20)) console.error(`  ${leak.file}:${leak.line} (from ${leak.from}): ${leak.text}`);
    process.exit(1);
  }
  const where = relative(process.cwd(), release.dir) || '.';
  console.log(`release written to ${where}: ${release.files.length} files, ${release.tasks.length} tasks, no reference text found`);
  console.log(`  try it: cd ${where} && npm install && npm run check`);
  console.log(`  grading: ${join(where, '.github/workflows/classroom.yml')} (${release.tasks.reduce((s, t) => s + t.points, 0)} points)`);
} catch (error) {
  console.error(`release: ${(error as Error).message}`);
  process.exit(1);
}
