/** What a chapter folder's answers are, as one hash: its .ts and .sql files, by name and content. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function fingerprint(chapterDir: string): string {
  if (!existsSync(chapterDir)) return 'missing';
  const hash = createHash('sha256');
  for (const name of readdirSync(chapterDir).filter((n) => /\.(ts|sql)$/.test(n)).sort()) {
    const path = join(chapterDir, name);
    if (!statSync(path).isFile()) continue;
    hash.update(name).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}
