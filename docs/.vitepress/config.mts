/**
 * The site's VitePress configuration. Its contents (pages, sidebar, invariant ids, links) are
 * scanned from the repository by tools/site/build-site.ts, which writes them to the JSON file
 * named by SITE_MANIFEST before it calls VitePress; nothing here names a chapter.
 */
import { readFileSync } from 'node:fs';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { invariantLinks, repositoryLinks, type LinkMap } from '../../tools/site/markdown-plugins.ts';

interface Manifest {
  srcDir: string;
  outDir: string;
  cacheDir: string;
  title: string;
  description: string;
  student: boolean;
  nav: DefaultTheme.NavItem[];
  sidebar: DefaultTheme.SidebarItem[];
  links: LinkMap;
  invariants: Record<string, string>;
}

const manifestPath = process.env.SITE_MANIFEST;
if (!manifestPath) throw new Error('SITE_MANIFEST is not set: build the site with `npm run docs`');
const site = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;

export default defineConfig({
  srcDir: site.srcDir,
  outDir: site.outDir,
  cacheDir: site.cacheDir,
  title: site.title,
  description: site.description,
  lang: 'en',
  cleanUrls: false,
  // The API reference is typedoc's HTML, copied in as it is: VitePress has no page for it.
  ignoreDeadLinks: [/^\/typedoc\//],
  head: [['link', { rel: 'icon', href: 'data:,' }]],
  // No prefetching of every linked page: a page's weight is its own (the models index links to
  // every model, whose prefetched chunks took it past 300 kB on some runs), and a phone on a
  // slow link downloads what it reads.
  router: { prefetchLinks: false },
  vite: { logLevel: 'warn', build: { reportCompressedSize: false } },
  markdown: {
    theme: { light: 'github-light', dark: 'github-dark' },
    config(md) {
      md.use(repositoryLinks, site.links);
      md.use(invariantLinks, { ids: Object.keys(site.invariants), hrefOf: (id: string) => site.invariants[id]! });
    },
  },
  themeConfig: {
    nav: site.nav,
    sidebar: site.sidebar,
    outline: { level: [2, 3], label: 'On this page' },
    search: {
      provider: 'local',
      options: {
        miniSearch: {
          // Invariant ids (IDEM-1) and task numbers (3.2) are indexed whole, and their parts
          // too, so that "IDEM-1" finds the invariant and "idempotency" finds "idempotency-key".
          // VitePress serialises these functions into the page: they must not close over anything.
          options: {
            tokenize: (text: string) =>
              text
                .split(/[\s,;:!?()[\]{}"'“”‘’`<>|/\\*=+]+/)
                .map((word) => word.replace(/^[.\-–—]+|[.\-–—]+$/g, ''))
                .filter(Boolean)
                .flatMap((word) => (/[.-]/.test(word) ? [word, ...word.split(/[.-]+/).filter(Boolean)] : [word])),
          },
          // A query is not split at its dots and hyphens: "IDEM-1" looks for that id, not for every "1".
          searchOptions: {
            tokenize: (text: string) =>
              text
                .split(/[\s,;:!?()[\]{}"'“”‘’`<>|/\\*=+]+/)
                .map((word) => word.replace(/^[.\-–—]+|[.\-–—]+$/g, ''))
                .filter(Boolean),
          },
        },
      },
    },
    docFooter: { prev: 'Previous', next: 'Next' },
    notFound: {
      title: 'No such page in the workbook',
      quote: 'The page may have moved when the chapters were rebuilt. The sidebar of the home page lists every chapter, key and model.',
      linkText: 'Back to the workbook',
    },
  },
});
