// Answer folders the grader tests build from fixtures.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../tools/chapters.ts';

/**
 * A fixture folder whose answers.ts takes some answers from the reference: the grader bundles
 * only a submission's own files, so the reference answers are copied in beside it.
 */
export function withReference(fixture: string, root = join(repoRoot, 'tests/fixtures'), chapter = '01-idempotency'): string {
  const dir = join(repoRoot, '.tmp', 'fixtures', fixture, chapter);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(repoRoot, `solutions/${chapter}/answers.ts`), join(dir, 'reference.ts'));
  const answers = readFileSync(join(root, fixture, chapter, 'answers.ts'), 'utf8');
  const reference = new RegExp(`'(\\.\\./)+solutions/${chapter}/answers\\.ts'`, 'g');
  writeFileSync(join(dir, 'answers.ts'), answers.replace(reference, "'./reference.ts'").replaceAll('__REPO_ROOT__', repoRoot));
  return dir;
}
