import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';

/**
 * Puts a cohort's variant in force (or none) for the modules imported next: writes it to a
 * file in `dir`, points WORKBOOK_VARIANT at it and forgets every module loaded so far, so that
 * a chapter's scenario, checks and key are read again under it.
 */
export async function useVariant(variant: object | null, dir: string): Promise<void> {
  if (variant) {
    const file = join(dir, `${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(variant));
    process.env.WORKBOOK_VARIANT = file;
  } else delete process.env.WORKBOOK_VARIANT;
  vi.resetModules();
  const { resetVariant } = await import('../../tools/variant.ts');
  resetVariant();
}
