/** Searching a written release for reference answers and keys (see leaks.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { releasedFiles } from './contents.ts';
import { distinctiveLines, findLeaks, referenceLines, type Leak } from './leaks.ts';
import { sharedVocabulary } from './vocabulary.ts';

const textOf = (root: string, files: string[]) =>
  files.filter((f) => !/\.(png|jpe?g|gif|ico|woff2?)$/.test(f)).map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));

export function findReleaseLeaks(repoRoot: string, releaseDir: string): Leak[] {
  // What a key may quote: the released sources of the instructor's repository (questions,
  // invariants, model READMEs) — read from the repository, not the release under audit.
  const quoted = distinctiveLines(textOf(repoRoot, releasedFiles(repoRoot)));
  const reference = referenceLines(join(repoRoot, 'solutions'), quoted);
  for (const { line } of sharedVocabulary) reference.delete(line);
  const release = textOf(releaseDir, releasedFiles(releaseDir).concat('README.md', 'package.json', '.github/workflows/classroom.yml'));
  return findLeaks(release, reference);
}
