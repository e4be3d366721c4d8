// Answer folders the grader tests build from fixtures.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../tools/chapters.ts';

/**
 * A fixture folder whose answers.ts takes some answers from the reference: the grader bundles
 * only a submission's own files, so the reference answers are copied in beside it.
 */
export function withReference(fixture: string, root = join(repoRoot, 'tests/fixtures')): string {
  const dir = join(repoRoot, '.tmp', 'fixtures', fixture, '01-idempotency');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(dir, 'reference.ts'));
  const answers = readFileSync(join(root, fixture, '01-idempotency/answers.ts'), 'utf8');
  writeFileSync(join(dir, 'answers.ts'), answers.replace(/'(\.\.\/)+solutions\/01-idempotency\/answers\.ts'/g, "'./reference.ts'").replaceAll('__REPO_ROOT__', repoRoot));
  return dir;
}
