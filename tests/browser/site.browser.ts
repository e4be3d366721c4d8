/**
 * The built site in a real browser (Debian's Chromium via playwright-core). Slow, so kept out
 * of `npm test`: `npm run test:site` (CI runs it). SITE_REUSE=1 reuses the sites already built.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chapterEntries } from '../../tools/chapters.ts';
import { scanSources, type SiteSources } from '../../tools/site/sources.ts';
import { checkStudentSite } from '../../tools/site/student-check.ts';
import { builtAndServed, launchChromium, workbookPages, type ServedSite } from './browser.ts';

let browser: Browser;
let full: ServedSite;
let student: ServedSite;
let sources: SiteSources;

beforeAll(async () => {
  // One build after the other: each uses both cores.
  full = await builtAndServed(true);
  student = await builtAndServed(false);
  sources = await scanSources({ solutions: true });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await full?.close();
  await student?.close();
});

/** Opens a page, recording console errors, uncaught exceptions, failed requests and the bytes of everything but images. */
async function open(page: Page, url: string) {
  const problems: string[] = [];
  let bytes = 0;
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', async (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    if (response.request().resourceType() === 'image') return;
    // VitePress prefetches the pages a page links to when the browser is idle: those belong to the next page.
    const headers = await response.request().allHeaders();
    if (/prefetch/.test(headers['sec-purpose'] ?? headers['purpose'] ?? '')) return;
    // What travels: the body as sent (gzip, as a static host serves it), not as decoded.
    bytes += (await response.request().sizes().catch(() => ({ responseBodySize: 0 }))).responseBodySize;
  });
  const response = await page.goto(url, { waitUntil: 'networkidle' });
  return { status: response?.status(), problems, bytes: () => bytes };
}

/** Whether the page's background is dark (relative luminance of the body's background colour). */
async function isDark(page: Page): Promise<boolean> {
  const colour = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
  const [r, g, b] = colour.match(/\d+(\.\d+)?/g)!.map(Number) as [number, number, number];
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.3;
}

describe('the full site in Chromium', () => {
  it('loads every page without a console error, within 300 kB before images', async () => {
    const failures: string[] = [];
    const weights: [string, number][] = [];
    for (const path of workbookPages(full.dir)) {
      // A context of its own: an empty cache, as for a reader's first page.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const { status, problems, bytes } = await open(page, full.url + path);
      if (status !== 200) failures.push(`${path}: HTTP ${status}`);
      failures.push(...problems.map((p) => `${path}: ${p}`));
      weights.push([path, bytes()]);
      await context.close();
    }
    expect(failures).toEqual([]);
    expect(weights.length).toBeGreaterThan(10);
    expect(weights.filter(([, b]) => b > 300_000).map(([p, b]) => `${p}: ${(b / 1000).toFixed(0)} kB`)).toEqual([]);
    const heaviest = weights.sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.info(`heaviest pages before images: ${heaviest.map(([p, b]) => `${p} ${(b / 1000).toFixed(0)} kB`).join(', ')}`);
  });

  it('gives a chapter a sidebar, next/previous links, heading anchors, copy buttons, a dark-mode switch and print styles', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const chapter = sources.chapters[0]!;
    await page.goto(`${full.url}/${chapter.slug}/`, { waitUntil: 'networkidle' });
    await expect(page.locator('.VPSidebar a[href]').count()).resolves.toBeGreaterThan(5);
    await expect(page.locator('.VPDocFooter .pager-link').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('.vp-doc h2 a.header-anchor').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('.vp-doc div[class*="language-"] button.copy').count()).resolves.toBeGreaterThan(0);
    await page.locator('.VPNavBar .VPSwitchAppearance').first().click();
    await expect(page.locator('html.dark').count()).resolves.toBe(1);
    expect(await isDark(page)).toBe(true);
    // Printed, the page is its text: no navigation.
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.VPSidebar').isVisible()).resolves.toBe(false);
    await expect(page.locator('.vp-doc h1').isVisible()).resolves.toBe(true);
    await page.emulateMedia({ media: 'screen' });
    // The API reference follows the switch.
    await page.goto(`${full.url}/typedoc/index.html`, { waitUntil: 'networkidle' });
    expect(await isDark(page)).toBe(true);
    await page.close();
  });

  it('resolves every internal link and anchor of every page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const links = new Set<string>();
    for (const path of workbookPages(full.dir)) {
      await page.goto(full.url + path, { waitUntil: 'load' });
      for (const href of await page.$$eval('.VPContent a[href], .VPSidebar a[href], .VPNav a[href]', (as) => as.map((a) => (a as unknown as { href: string }).href))) {
        if (href.startsWith(full.url)) links.add(href);
      }
    }
    const broken: string[] = [];
    const htmlOf = new Map<string, string>();
    for (const link of links) {
      const url = new URL(link);
      if (!htmlOf.has(url.pathname)) {
        const response = await fetch(new URL(url.pathname, full.url));
        htmlOf.set(url.pathname, response.ok ? await response.text() : '');
        if (!response.ok) broken.push(`${url.pathname}: HTTP ${response.status}`);
      }
      const html = htmlOf.get(url.pathname)!;
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor && html && !html.includes(`id="${anchor}"`)) broken.push(`${url.pathname}#${anchor}: no such anchor`);
    }
    await context.close();
    expect(links.size).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  it('links every page of the API reference back into the workbook, from any depth', async () => {
    const page = await browser.newPage();
    await page.goto(`${full.url}/api.html`, { waitUntil: 'load' });
    const modules = await page.$$eval('.vp-doc a[href^="/typedoc/"]', (as) => as.map((a) => a.getAttribute('href')!));
    expect(modules.length).toBeGreaterThan(5);
    const broken: string[] = [];
    for (const module of modules) {
      await page.goto(full.url + module, { waitUntil: 'load' });
      const back = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')!).filter((h) => h.startsWith('/') && !h.startsWith('/typedoc/')));
      if (!back.includes('/index.html')) broken.push(`${module}: no link to the workbook`);
      for (const href of back) if (!(await fetch(full.url + href)).ok) broken.push(`${module} → ${href}`);
    }
    await page.close();
    expect(broken).toEqual([]);
  });

  it('anchors every task heading, and links a task to its key and back', async () => {
    const page = await browser.newPage();
    for (const task of sources.tasks) {
      await page.goto(`${full.url}/${task.chapter}/#${task.anchor}`, { waitUntil: 'load' });
      const heading = page.locator(`h2#${task.anchor}, h3#${task.anchor}`);
      await expect(heading.count(), `task ${task.id} on its chapter`).resolves.toBe(1);
      const toKey = page.locator(`a[href="/${task.chapter}/key.html#${task.anchor}"]`);
      await expect(toKey.count(), `task ${task.id} links to its key`).resolves.toBeGreaterThan(0);
      await toKey.first().click();
      await page.waitForURL(`**/${task.chapter}/key.html#${task.anchor}`);
      // The key's task heading, and under it the link back to the task (VitePress swaps the page in after the URL changes).
      await page.locator(`#${task.anchor} + p a[href="/${task.chapter}/#${task.anchor}"]`).waitFor({ timeout: 5_000 });
    }
    await page.close();
  });

  it('links an invariant id to its statement, its task and the figures of its check', async () => {
    const page = await browser.newPage();
    for (const invariant of sources.invariants) {
      await page.goto(`${full.url}/invariants.html#${invariant.anchor}`, { waitUntil: 'load' });
      const section = page.locator(`#${invariant.anchor} ~ p`).first();
      await expect(section.textContent(), invariant.id).resolves.toContain(invariant.statement.slice(0, 30));
      const hop = page.locator(`#${invariant.anchor} ~ p .hop`).first();
      for (const task of invariant.tasks) {
        await expect(hop.locator(`a[href*="#task-${task.replace('.', '-')}"]`).count(), `${invariant.id} → task ${task}`).resolves.toBeGreaterThan(0);
      }
      const figures = hop.locator('a[href*="/models/"], a[href*="/key.html"]');
      await expect(figures.count(), `${invariant.id} → the figures of its check`).resolves.toBeGreaterThan(0);
    }
    await page.close();
  });

  async function search(term: string): Promise<string[]> {
    const page = await browser.newPage();
    await page.goto(`${full.url}/`, { waitUntil: 'networkidle' });
    await page.locator('.VPNavBarSearch button').first().click();
    await page.locator('#localsearch-input').fill(term);
    await page.locator('.VPLocalSearchBox .results a.result').first().waitFor({ timeout: 10_000 });
    const hrefs = await page.$$eval('.VPLocalSearchBox .results a.result', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    await page.close();
    return hrefs;
  }

  it('finds an invariant id by search, on its statement', async () => {
    const invariant = sources.invariants.find((i) => i.id === 'IDEM-1') ?? sources.invariants[0]!;
    const [first] = await search(invariant.id);
    expect(first).toContain(`invariants.html#${invariant.anchor}`);
  });

  it('finds a task number and a domain term of chapter 3 on chapter 3', async () => {
    const chapter = chapterEntries.find((c) => c.number === 3)!;
    const task = sources.tasks.find((t) => t.chapter === chapter.slug)!;
    const [first] = await search(`Task ${task.id}`);
    expect(first).toMatch(new RegExp(`/${chapter.slug}/(key\\.html)?#${task.anchor}$`));
    // A term of chapter 3's task headings that no other chapter's text uses.
    const words = (text: string) => new Set(text.toLowerCase().match(/[a-z][a-z-]{6,}/g));
    const others = chapterEntries.filter((c) => c !== chapter).map((c) => words(readFileSync(join('exercises', c.slug, 'README.md'), 'utf8')));
    const headings = sources.tasks.filter((t) => t.chapter === chapter.slug).map((t) => t.title).join(' ');
    const term = [...words(headings)].find((w) => others.every((o) => !o.has(w)) && !w.includes('-'))!;
    console.info(`chapter ${chapter.number}'s term searched for: "${term}"`);
    const hits = await search(term);
    // Right: a page of chapter 3, or of a model chapter 3 is checked against.
    const own = [`/${chapter.slug}/`, ...sources.chapters.find((c) => c.slug === chapter.slug)!.models.map((m) => `/models/${m}.html`)];
    expect(own.some((prefix) => hits[0]!.startsWith(prefix)), `search for "${term}" lands on ${hits[0]}`).toBe(true);
  });

  it('scrolls no page sideways at 390 px', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    const wide: string[] = [];
    for (const path of workbookPages(full.dir)) {
      await page.goto(full.url + path, { waitUntil: 'load' });
      const { scroll, width } = await page.evaluate<{ scroll: number; width: number }>('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })');
      if (scroll > width) wide.push(`${path}: ${scroll} px wide`);
    }
    await context.close();
    expect(wide).toEqual([]);
  });

  it('applies dark mode to every page, the API reference included', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const page = await context.newPage();
    const light: string[] = [];
    for (const path of [...workbookPages(full.dir), '/typedoc/index.html', '/404.html']) {
      await page.goto(full.url + path, { waitUntil: 'load' });
      if (!(await isDark(page))) light.push(path);
    }
    await context.close();
    expect(light).toEqual([]);
  });

  it('shows its own 404 page for a missing path', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${full.url}/no-such-chapter/`);
    expect(response?.status()).toBe(404);
    await expect(page.locator('.NotFound a').first().getAttribute('href')).resolves.toBeTruthy();
    await page.close();
  });

  it('takes a screenshot of each chapter’s first screen at 1280 and 390 px, into the build output', async () => {
    const dir = join(full.dir, 'screenshots');
    mkdirSync(dir, { recursive: true });
    for (const [width, height] of [[1280, 800], [390, 844]] as const) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await context.newPage();
      for (const chapter of sources.chapters) {
        await page.goto(`${full.url}/${chapter.slug}/`, { waitUntil: 'networkidle' });
        const file = join(dir, `${chapter.slug}-${width}.png`);
        await page.screenshot({ path: file });
        expect(readFileSync(file).length).toBeGreaterThan(10_000);
      }
      await context.close();
    }
  });
});

describe('the student site in Chromium', () => {
  it('holds no answer key and no reference answer', async () => {
    expect(checkStudentSite(student.dir)).toEqual([]);
    const page = await browser.newPage();
    for (const path of workbookPages(student.dir)) {
      await page.goto(student.url + path, { waitUntil: 'load' });
      const keyLinks = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')!).filter((h) => /key\.html/.test(h)));
      expect(keyLinks, path).toEqual([]);
    }
    const key = await page.goto(`${student.url}/${sources.chapters[0]!.slug}/key.html`);
    expect(key?.status()).toBe(404);
    await page.close();
  });

  it('loads every page without a console error', async () => {
    const context = await browser.newContext();
    const failures: string[] = [];
    for (const path of workbookPages(student.dir)) {
      const page = await context.newPage();
      const { problems } = await open(page, student.url + path);
      failures.push(...problems.map((p) => `${path}: ${p}`));
      await page.close();
    }
    await context.close();
    expect(failures).toEqual([]);
  });
});
