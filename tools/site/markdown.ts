/**
 * Markdown to HTML for the site: markdown-it, code highlighted by highlight.js at build time,
 * and ```mermaid blocks left for the mermaid library to lay out in the browser.
 */
import MarkdownIt from 'markdown-it';
import hljs from 'highlight.js';

const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const markdown = new MarkdownIt({
  html: true,
  linkify: true,
  highlight(code, language) {
    if (language === 'mermaid') return `<pre class="mermaid">${escapeHtml(code)}</pre>`;
    if (language && hljs.getLanguage(language)) {
      return `<pre class="hljs"><code>${hljs.highlight(code, { language, ignoreIllegals: true }).value}</code></pre>`;
    }
    return `<pre class="hljs"><code>${escapeHtml(code)}</code></pre>`;
  },
});

export interface Page {
  title: string;
  /** Markdown source of the page body. */
  markdown: string;
  /** Relative links rewritten: `KEY.md` → `key.html`, etc. */
  links?: Record<string, string>;
  /** Path from this page to the site's root, for shared assets. */
  root: string;
  nav: { href: string; label: string }[];
}

export function renderMarkdown(source: string, links: Record<string, string> = {}): string {
  let html = markdown.render(source);
  for (const [from, to] of Object.entries(links)) html = html.replaceAll(`href="${from}"`, `href="${to}"`);
  // A link to a file of the repository that is no page of the site (answers.ts, a .sql file)
  // would be a dead link there: keep its text, drop the link.
  return html.replace(/<a href="(?![a-z]+:|#|\/)([^"]*)">([\s\S]*?)<\/a>/g, (link, href: string, text: string) =>
    /\.(html|svg|png)(#.*)?$/.test(href) ? link : text,
  );
}

export function renderPage(page: Page): string {
  const body = renderMarkdown(page.markdown, page.links);
  const nav = page.nav.map((item) => `<a href="${page.root}${item.href}">${escapeHtml(item.label)}</a>`).join('');
  const mermaid = body.includes('class="mermaid"')
    ? `<script src="${page.root}assets/mermaid.min.js"></script><script>mermaid.initialize({ startOnLoad: true, theme: 'neutral' });</script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} — Payment System Design</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${page.root}assets/highlight.css">
<link rel="stylesheet" href="${page.root}assets/site.css">
</head>
<body>
<nav>${nav}</nav>
<main>
${body}
</main>
${mermaid}
</body>
</html>
`;
}

export const siteCss = `
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #fff; }
nav { display: flex; flex-wrap: wrap; gap: 1.2em; padding: .8em 2em; background: #1d2433; }
nav a { color: #e6ebf5; text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
main { max-width: 60em; margin: 0 auto; padding: 1em 2em 4em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .92em; }
th, td { border: 1px solid #d5dbe7; padding: .35em .7em; vertical-align: top; }
th { background: #f4f6fb; }
pre.hljs { padding: 1em; overflow-x: auto; border-radius: 6px; font-size: .88em; }
pre.mermaid { background: none; text-align: center; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
img { max-width: 100%; }
`;
