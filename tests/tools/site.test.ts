/**
 * The site's parts that need no VitePress build and no browser (those are `npm run test:site`):
 * scanning, the page transforms, the markdown-it plugins, the diagrams, the student check.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { chapterEntries, repoRoot } from '../../tools/chapters.ts';
import { markLostMessages, renderDiagram } from '../../tools/site/diagrams.ts';
import { invariantLinks, repositoryLinks, type LinkMap } from '../../tools/site/markdown-plugins.ts';
import { invariantsPage, sitePage } from '../../tools/site/pages.ts';
import { scanSources, taskOfHeading, type SiteSources } from '../../tools/site/sources.ts';
import { checkStudentSite, visibleText } from '../../tools/site/student-check.ts';
import { summaryOf } from '../../tools/site/api.ts';
import { siteServer } from '../../tools/site/server.ts';
import type { AddressInfo } from 'node:net';

describe('scanning the repository', () => {
  it('recognises a task heading in each style the chapters use, and nothing else', () => {
    expect(taskOfHeading('## Task 1.2 — With idempotency keys: trace the retry')).toMatchObject({ task: '1.2', title: 'With idempotency keys: trace the retry' });
    expect(taskOfHeading('## 2.1 The rows of the payment — `2.1-schema.sql`')).toMatchObject({ task: '2.1' });
    expect(taskOfHeading('## 4.3 — Circuit breaker for card network calls')).toMatchObject({ task: '4.3', title: 'Circuit breaker for card network calls' });
    expect(taskOfHeading('## Hints')).toBeUndefined();
    expect(taskOfHeading('# Chapter 1 — Idempotency keys')).toBeUndefined();
    expect(taskOfHeading('Task 1.1 in running text')).toBeUndefined();
  });

  it('finds every chapter’s task headings and every invariant of the specs, with its statement and task', async () => {
    const sources = await scanSources({ solutions: true });
    for (const entry of chapterEntries) {
      const text = readFileSync(join(repoRoot, 'exercises', entry.slug, 'README.md'), 'utf8');
      // Counted independently: "## …" lines whose first word (after "Task") is n.m.
      const headings = text.split('\n').filter((l) => /^##\s+(Task\s+)?\d+\.\d+\b/.test(l)).length;
      expect(sources.tasks.filter((t) => t.chapter === entry.slug), entry.slug).toHaveLength(headings);
      const ids = [...readFileSync(join(repoRoot, 'specs', entry.slug, 'invariants.ts'), 'utf8').matchAll(/\bid: '([^']+)'/g)].map((m) => m[1]);
      expect(sources.invariants.filter((i) => i.chapter === entry.slug).map((i) => i.id).sort()).toEqual([...new Set(ids)].sort());
    }
    for (const invariant of sources.invariants) {
      expect(invariant.statement.length, invariant.id).toBeGreaterThan(10);
      expect(invariant.tasks.length, invariant.id).toBeGreaterThan(0);
    }
    expect(sources.pages.filter((p) => p.kind === 'key').length).toBeGreaterThan(0);
  });

  it('leaves every answer key out of the student site', async () => {
    const sources = await scanSources({ solutions: false });
    expect(sources.pages.filter((p) => p.kind === 'key' || p.source?.startsWith('solutions/'))).toEqual([]);
  });
});

/** A chapter with two tasks, one invariant and one model: enough to see the links a page gets. */
function fixture(solutions: boolean): SiteSources {
  return {
    solutions,
    pages: [
      { source: 'exercises/09-demo/README.md', file: '09-demo/index.md', kind: 'chapter', chapter: '09-demo', title: 'Chapter 9 — Demo' },
      ...(solutions ? [{ source: 'solutions/09-demo/KEY.md', file: '09-demo/key.md', kind: 'key' as const, chapter: '09-demo', title: 'Key', figures: true }] : []),
      { source: 'models/demo/README.md', file: 'models/demo.md', kind: 'model', title: 'Model: the demo', figures: true },
    ],
    chapters: [{ slug: '09-demo', number: 9, title: 'Chapter 9 — Demo', shortTitle: 'Demo', models: ['demo'] }],
    tasks: [
      { id: '9.1', chapter: '09-demo', title: 'First', anchor: 'task-9-1', invariants: ['DEMO-1'], models: ['demo'] },
      { id: '9.2', chapter: '09-demo', title: 'Second', anchor: 'task-9-2', invariants: [], models: [] },
    ],
    invariants: [{ id: 'DEMO-1', statement: 'nothing is charged twice', tasks: ['9.1'], chapter: '09-demo', models: ['demo'], anchor: 'demo-1' }],
    models: [{ slug: 'demo', title: 'Model: the demo', chapters: ['09-demo'] }],
  };
}

const chapterText = [
  '# Chapter 9 — Demo',
  '',
  '## Task 9.1 — First',
  '',
  '```mermaid',
  'sequenceDiagram',
  '  A->>B: hi',
  '```',
  '',
  '````md',
  '## 9.2 inside a fence is no heading',
  '```mermaid',
  'left alone',
  '```',
  '````',
  '',
  '## 9.2 Second',
].join('\n');

describe('a page of the site', () => {
  it('anchors each task heading and links it to its key, its model and its invariants', () => {
    const diagrams: { file: string; svg: string }[] = [];
    const page = sitePage(fixture(true), fixture(true).pages[0]!, chapterText, [], diagrams);
    expect(page).toContain('## Task 9.1 — First {#task-9-1}');
    expect(page).toContain('## 9.2 Second {#task-9-2}');
    expect(page).toContain('[answer key § 9.1](/09-demo/key.html#task-9-1)');
    expect(page).toContain('(/models/demo.html)');
    expect(page).toMatch(/invariants: DEMO-1/);
    expect(page).toContain('## 9.2 inside a fence is no heading\n');
  });

  it('replaces a Mermaid block by its pre-rendered diagram, but not one quoted inside another fence', () => {
    const diagrams: { file: string; svg: string }[] = [];
    const page = sitePage(fixture(true), fixture(true).pages[0]!, chapterText, [], diagrams);
    expect(diagrams).toHaveLength(1);
    expect(page).toContain(`<img src="/diagrams/${diagrams[0]!.file}"`);
    expect(page).toContain('```mermaid\nleft alone');
  });

  it('keeps a diagram the renderer cannot draw as its source, with a warning naming the page', () => {
    const warnings: string[] = [];
    const diagrams: { file: string; svg: string }[] = [];
    const page = sitePage(fixture(true), fixture(true).pages[0]!, '# T\n\n```mermaid\nnot a diagram at all\n```\n', [], diagrams, (w) => warnings.push(w));
    expect(diagrams).toEqual([]);
    expect(page).toContain('```mermaid\nnot a diagram at all\n```');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^exercises\/09-demo\/README\.md: a Mermaid diagram could not be rendered/);
  });

  it('gives the student site no link to a key', () => {
    const student = fixture(false);
    const page = sitePage(student, student.pages[0]!, chapterText, [], []);
    expect(page).not.toMatch(/key\.html|answer key/);
    expect(invariantsPage(student)).not.toMatch(/key\.html/);
    expect(invariantsPage(fixture(true))).toContain('/09-demo/key.html#figures');
  });

  it('heads a model’s page with the chapters and tasks that use it', () => {
    const sources = fixture(true);
    const page = sitePage(sources, sources.pages[2]!, '# Model: the demo\n\n## Figures of the last check\n', [{ name: 'models/demo/machine', href: '/typedoc/modules/models_demo_machine.html', summary: '' }], []);
    expect(page).toContain('[Chapter 9 — Demo](/09-demo/)');
    expect(page).toContain('[9.1](/09-demo/#task-9-1)');
    expect(page).toContain('[machine](/typedoc/modules/models_demo_machine.html)');
    expect(page).toContain('## Figures of the last check {#figures}');
  });
});

describe('the markdown-it plugins', () => {
  const map: LinkMap = {
    sourceOfFile: { '09-demo/index.md': 'exercises/09-demo/README.md' },
    urlOfSource: { 'solutions/09-demo/KEY.md': '/09-demo/key.html', 'models/demo/README.md': '/models/demo.html', 'solutions/09-demo/flow.svg': '/diagrams/solutions-09-demo/flow.svg' },
  };
  const md = new MarkdownIt({ html: true })
    .use(repositoryLinks, map)
    .use(invariantLinks, { ids: ['DEMO-1', 'DEMO-NO-LOSS'], hrefOf: (id: string) => `/invariants.html#${id.toLowerCase()}` });
  const render = (source: string) => md.render(source, { relativePath: '09-demo/index.md' });

  it('turns links between repository files into links between pages, and keeps the text of a link to a file that is no page', () => {
    expect(render('[key](../../solutions/09-demo/KEY.md#task-9-1)')).toContain('<a href="/09-demo/key.html#task-9-1">key</a>');
    expect(render('[the model](../../models/demo/)')).toContain('<a href="/models/demo.html">the model</a>');
    expect(render('[your answers](answers.ts)')).toBe('<p>your answers</p>\n');
    expect(render('[elsewhere](https://docs.stripe.com/)')).toContain('href="https://docs.stripe.com/"');
  });

  it('links a repository path written in code to its page, and leaves other code alone', () => {
    expect(render('see `models/demo/` and `./models/demo/README.md`')).toBe(
      '<p>see <a href="/models/demo.html"><code>models/demo/</code></a> and <a href="/models/demo.html"><code>./models/demo/README.md</code></a></p>\n',
    );
    expect(render('`models/other/`, `const x = models/demo/`, [`models/demo/`](https://example.org)')).not.toContain('/models/demo.html');
  });

  it('makes a diagram open full size', () => {
    expect(render('![flow](../../solutions/09-demo/flow.svg)')).toMatch(/<a href="\/diagrams\/solutions-09-demo\/flow.svg" target="_blank"[^>]*><img src="\/diagrams\/solutions-09-demo\/flow.svg"/);
  });

  it('links an invariant id in text and tables, but not in code, headings, links or longer ids', () => {
    expect(render('DEMO-1 holds; so does DEMO-NO-LOSS.')).toBe(
      '<p><a href="/invariants.html#demo-1" class="invariant">DEMO-1</a> holds; so does <a href="/invariants.html#demo-no-loss" class="invariant">DEMO-NO-LOSS</a>.</p>\n',
    );
    expect(render('| id |\n| --- |\n| DEMO-1 |')).toContain('<td><a href="/invariants.html#demo-1"');
    for (const untouched of ['`DEMO-1`', '## DEMO-1', '[DEMO-1](https://example.org)', 'DEMO-10 and XDEMO-1 and DEMO-1-B']) {
      expect(render(untouched).match(/class="invariant"/g), untouched).toBeNull();
    }
  });
});

describe('diagrams', () => {
  it('draws a lost message distinctly, since the renderer would draw it as delivered', () => {
    expect(markLostMessages('  API-xMerchant: 200 OK too late')).toBe('  API--)Merchant: ✗ 200 OK too late');
    expect(markLostMessages('  Merchant--xStripe: lost')).toBe('  Merchant--)Stripe: ✗ lost');
    expect(markLostMessages('  A->>B: max-x: fine')).toBe('  A->>B: max-x: fine');
  });

  it('renders a sequence diagram to a self-contained SVG with no web font to fetch', () => {
    const { svg, file } = renderDiagram('sequenceDiagram\n  A->>B: charge\n  B-xA: 200 OK lost');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toMatch(/@import|https?:\/\/fonts/);
    expect(file).toMatch(/^[0-9a-f]{12}\.svg$/);
    expect(renderDiagram('sequenceDiagram\n  A->>B: charge\n  B-xA: 200 OK lost').file).toBe(file);
  });

  it('reads a module’s summary from its leading doc comment', () => {
    expect(summaryOf('/**\n * The explorer: breadth-first.\n * More.\n */\nexport {}')).toBe('The explorer.');
    expect(summaryOf('/** One line. Two. */')).toBe('One line.');
    expect(summaryOf('export const x = 1;')).toBe('');
  });
});

describe('the student site’s check', () => {
  const dir = join(repoRoot, '.tmp', 'student-check');
  const write = (files: Record<string, string>) => {
    rmSync(dir, { recursive: true, force: true });
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
  };
  /** A line between solution markers that no student file shows, found by scanning like the check does. */
  const answerLine = () => {
    for (const file of readdirSync(join(repoRoot, 'solutions'), { recursive: true }) as string[]) {
      if (!file.endsWith('.sql')) continue;
      const text = readFileSync(join(repoRoot, 'solutions', file), 'utf8');
      const inside = text.split('-- BEGIN SOLUTION')[1]?.split('-- END SOLUTION')[0] ?? '';
      const line = inside.split('\n').map((l) => l.trim()).find((l) => l.length >= 30 && !l.startsWith('--'));
      if (line) return line;
    }
    throw new Error('no SQL reference answer to test with');
  };
  const highlighted = (line: string) =>
    `<span class="line">${line.split(' ').map((w) => `<span style="--shiki-light:#D73A49">${w.replaceAll('<', '&lt;').replaceAll("'", '&#39;')}</span>`).join('<span> </span>')}</span>`;

  it('passes a site that shows only what students are given', () => {
    const stub = readFileSync(join(repoRoot, 'exercises', chapterEntries[0]!.slug, 'answers.ts'), 'utf8');
    write({ 'index.html': `<pre>${stub}</pre>`, 'assets/chunk.js': 'export default "Chapter"' });
    expect(checkStudentSite(dir)).toEqual([]);
  });

  it('fails a site with a key page, or a reference answer in a page, a page script or the search index', () => {
    const line = answerLine();
    write({ '01-x/key.html': '<p>key</p>', 'index.html': `<pre>${highlighted(line)}</pre>`, 'nav.html': '<a href="/01-x/key.html">Answer key</a>' });
    const leaks = checkStudentSite(dir);
    expect(leaks.some((l) => l.startsWith('nav.html: a link to an answer key'))).toBe(true);
    expect(leaks.some((l) => l.startsWith('01-x/key.html: an answer key page'))).toBe(true);
    expect(leaks.some((l) => l.startsWith('index.html: a line of the reference answer'))).toBe(true);
    write({ 'assets/page.js': `const html = ${JSON.stringify(`<code>${line}</code>`)};` });
    expect(checkStudentSite(dir)).toHaveLength(1);
  });

  it('reads a built file as its reader sees it', () => {
    expect(visibleText('<span>a &lt; b</span><span> &amp;&amp; it&#39;s</span>')).toBe("a < b && it's");
    expect(visibleText('"<p>say \\"hi\\"</p>"')).toBe('"say "hi""');
  });
});

describe('the site’s server', () => {
  it('caches hashed assets for good, pages not at all, answers a missing page with the site’s 404, and serves nothing outside the site', async () => {
    const dir = join(repoRoot, '.tmp', 'site-server');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<p>home</p>');
    writeFileSync(join(dir, '404.html'), '<p>lost</p>');
    writeFileSync(join(dir, 'assets', 'app.Ab3dE6gH.js'), 'export {}');
    const server = siteServer(dir);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const asset = await fetch(`${base}/assets/app.Ab3dE6gH.js`);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      const home = await fetch(`${base}/`);
      expect([home.status, home.headers.get('cache-control'), await home.text()]).toEqual([200, 'no-cache', '<p>home</p>']);
      const missing = await fetch(`${base}/no/such/page.html`);
      expect([missing.status, await missing.text()]).toEqual([404, '<p>lost</p>']);
      // package.json sits two folders above the site.
      const outside = await fetch(`${base}/..%2f..%2fpackage.json`);
      expect([outside.status, await outside.text()]).toEqual([404, '<p>lost</p>']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
