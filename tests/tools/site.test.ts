import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';
import { buildSite } from '../../tools/site/build-site.ts';
import { renderMarkdown } from '../../tools/site/markdown.ts';

describe('the site', () => {
  it('leaves mermaid blocks for the browser and highlights code at build time', () => {
    const html = renderMarkdown('```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n\n```ts\nconst x = 1;\n```\n');
    expect(html).toContain('<pre class="mermaid">sequenceDiagram\n  A-&gt;&gt;B: hi\n</pre>');
    expect(html).toContain('<span class="hljs-keyword">const</span>');
  });

  it('renders every chapter and its answer key, with links between them and diagrams beside them', async () => {
    const out = join(repoRoot, '.tmp', 'site');
    await buildSite({ outDir: out });
    const chapter = readFileSync(join(out, '01-idempotency/index.html'), 'utf8');
    expect(chapter).toContain('href="key.html"');
    const key = readFileSync(join(out, '01-idempotency/key.html'), 'utf8');
    expect(key).toContain('<img src="key-lifecycle.svg"');
    expect(key).toContain('assets/mermaid.min.js');
    expect(existsSync(join(out, '01-idempotency/key-lifecycle.svg'))).toBe(true);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('href="01-idempotency/index.html"');
  });

  it('has no dead links: every relative href and src of every page names a file of the site', async () => {
    const out = join(repoRoot, '.tmp', 'site-links');
    await buildSite({ outDir: out });
    const pages = (readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.html')).map((f) => join(out, f));
    const dead: string[] = [];
    for (const page of pages) {
      for (const [, target] of readFileSync(page, 'utf8').matchAll(/(?:href|src)="(?![a-z]+:|#|data:)([^"#]+)/g)) {
        if (!existsSync(join(dirname(page), target!))) dead.push(`${relative(out, page)} → ${target}`);
      }
    }
    expect(pages.length).toBeGreaterThan(10);
    expect(dead).toEqual([]);
  });
});
