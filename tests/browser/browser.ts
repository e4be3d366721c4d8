/**
 * What the browser suite needs: the two sites built (or reused with SITE_REUSE=1), served on
 * free ports, and Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildSite, defaultSiteDir, defaultStudentSiteDir } from '../../tools/site/build-site.ts';
import { siteServer } from '../../tools/site/server.ts';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ServedSite {
  dir: string;
  url: string;
  close: () => Promise<void>;
}

export async function builtAndServed(solutions: boolean): Promise<ServedSite> {
  const dir = solutions ? defaultSiteDir : defaultStudentSiteDir;
  if (process.env.SITE_REUSE !== '1' || !existsSync(join(dir, 'index.html'))) await buildSite({ api: true, solutions });
  const server = siteServer(dir);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { dir, url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** The workbook's pages (not typedoc's), as URL paths: "/", "/01-idempotency/key.html", … */
export function workbookPages(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.html') && !f.startsWith('typedoc') && f !== '404.html')
    .map((f) => `/${relative('.', f).split('\\').join('/')}`.replace(/(^|\/)index\.html$/, '$1'))
    .sort();
}
