/**
 * markdown-it plugins of the site (VitePress renders with markdown-it; these run inside it):
 * relative links between the repository's Markdown files become links between pages, and
 * every invariant id in running text links to its statement.
 */
import type { MarkdownIt, StateCore, Token } from 'markdown-it';
import { posix } from 'node:path';

export interface LinkMap {
  /** Site file ("models/idempotency-store.md") → repository file ("models/idempotency-store/README.md"). */
  sourceOfFile: Record<string, string>;
  /** Repository file (Markdown page or diagram) → its URL on the site. */
  urlOfSource: Record<string, string>;
}

const isRelative = (href: string) => !/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(href);

/** Where a relative link of a repository file points on the site, or undefined when that file is no page of it. */
export function resolveLink(map: LinkMap, fromSource: string, href: string): string | undefined {
  const [path = '', hash] = href.split('#', 2) as [string, string | undefined];
  let target = posix.normalize(posix.join(posix.dirname(fromSource), decodeURI(path)));
  if (path === '') target = fromSource;
  const url = map.urlOfSource[target] ?? map.urlOfSource[posix.join(target, 'README.md')];
  return url === undefined ? undefined : `${url}${hash ? `#${hash}` : ''}`;
}

/** The page of a path written from the repository's root (`models/x/`, `specs/01-y/answer-types.ts`), if it has one. */
function pathUrl(map: LinkMap, text: string): string | undefined {
  if (!/^[\w.-]+(\/[\w.-]+)*\/?$/.test(text) || !text.includes('/')) return undefined;
  const path = text.replace(/^\.\//, '').replace(/\/$/, '');
  return map.urlOfSource[path] ?? map.urlOfSource[`${path}/README.md`];
}

/** Links and images of a repository page, rewritten to the site's URLs; a link to a file that is no page (answers.ts, a .sql file) keeps its text. */
export function repositoryLinks(md: MarkdownIt, map: LinkMap): void {
  md.core.ruler.push('repository_links', (state: StateCore) => {
    const source = map.sourceOfFile[(state.env as { relativePath?: string }).relativePath ?? ''];
    if (!source) return;
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const out: Token[] = [];
      const dropped: boolean[] = [];
      for (const token of block.children) {
        if (token.type === 'link_open') {
          const href = String(token.attrGet('href') ?? '');
          if (isRelative(href)) {
            const url = resolveLink(map, source, href);
            dropped.push(url === undefined);
            if (url === undefined) continue;
            token.attrSet('href', url);
          } else dropped.push(false);
          // typedoc's pages are no pages of VitePress's router: the browser loads them.
          if (String(token.attrGet('href')).startsWith('/typedoc/')) token.attrSet('target', '_self');
        } else if (token.type === 'code_inline' && !dropped.length) {
          // A repository path in code (`models/webhook-delivery/`) links to its page.
          const url = pathUrl(map, token.content);
          if (url) {
            const open = new state.Token('link_open', 'a', 1);
            open.attrs = [['href', url], ...(url.startsWith('/typedoc/') ? [['target', '_self'] as [string, string]] : [])];
            out.push(open, token, new state.Token('link_close', 'a', -1));
            continue;
          }
        } else if (token.type === 'link_close') {
          if (dropped.pop()) continue;
        } else if (token.type === 'image') {
          const src = String(token.attrGet('src') ?? '');
          const url = isRelative(src) ? resolveLink(map, source, src) : src;
          if (url === undefined) continue;
          token.attrSet('src', url);
          // A diagram opens full size, unless the image is already a link.
          if (!dropped.length) {
            const open = new state.Token('link_open', 'a', 1);
            open.attrs = [['href', url], ['target', '_blank'], ['class', 'diagram'], ['title', 'open the diagram full size']];
            out.push(open, token, new state.Token('link_close', 'a', -1));
            continue;
          }
        }
        out.push(token);
      }
      block.children = out;
    }
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every invariant id in running text (not in a link, a heading or code) links to `hrefOf(id)`. */
export function invariantLinks(md: MarkdownIt, options: { ids: readonly string[]; hrefOf: (id: string) => string }): void {
  if (options.ids.length === 0) return;
  const pattern = new RegExp(`(?<![\\w-])(${[...options.ids].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})(?![\\w-])`, 'g');
  md.core.ruler.push('invariant_links', (state: StateCore) => {
    let inHeading = false;
    for (const block of state.tokens) {
      if (block.type === 'heading_open') inHeading = true;
      if (block.type === 'heading_close') inHeading = false;
      if (block.type !== 'inline' || !block.children || inHeading) continue;
      const out: Token[] = [];
      let linkDepth = 0;
      for (const token of block.children) {
        if (token.type === 'link_open') linkDepth++;
        if (token.type === 'link_close') linkDepth--;
        if (token.type !== 'text' || linkDepth > 0 || !pattern.test(token.content)) {
          out.push(token);
          continue;
        }
        pattern.lastIndex = 0;
        let last = 0;
        for (const match of token.content.matchAll(pattern)) {
          const text = (content: string) => Object.assign(new state.Token('text', '', 0), { content });
          if (match.index > last) out.push(text(token.content.slice(last, match.index)));
          const open = new state.Token('link_open', 'a', 1);
          open.attrs = [['href', options.hrefOf(match[1]!)], ['class', 'invariant']];
          out.push(open, text(match[1]!), new state.Token('link_close', 'a', -1));
          last = match.index + match[1]!.length;
        }
        if (last < token.content.length) out.push(Object.assign(new state.Token('text', '', 0), { content: token.content.slice(last) }));
      }
      block.children = out;
    }
  });
}
