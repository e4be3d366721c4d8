/**
 * Mermaid diagrams rendered at build time with beautiful-mermaid (no DOM, no browser), written
 * as SVG files the page shows as images: a page then carries a few hundred bytes per diagram
 * instead of a layout library, and a diagram opens full size on its own.
 */
import { createHash } from 'node:crypto';
import { renderMermaidSVG } from 'beautiful-mermaid';

/**
 * beautiful-mermaid 1.1.3 draws a lost message (`A-xB`, `A--xB`) as an ordinary arrow, which
 * would show a lost response as delivered. Such a message is drawn as an open dashed arrow
 * (`--)`) with its label marked "✗", so a reader still sees that it never arrived.
 */
export function markLostMessages(source: string): string {
  return source.replace(/^(\s*[^\s:>-][^:>]*?)\s*--?x\s*([^:]+?)\s*:\s*(.*)$/gm, (_, from: string, to: string, label: string) => `${from}--)${to}: ✗ ${label}`);
}

export interface RenderedDiagram {
  /** The file name: a hash of the source, so an unchanged diagram keeps its URL. */
  file: string;
  svg: string;
}

export function renderDiagram(source: string): RenderedDiagram {
  const svg = renderMermaidSVG(markLostMessages(source))
    // The library imports a web font from Google; the site works offline, with the system font.
    .replace(/@import url\([^)]*\);?/g, '');
  const file = `${createHash('sha256').update(source).digest('hex').slice(0, 12)}.svg`;
  return { file, svg };
}
