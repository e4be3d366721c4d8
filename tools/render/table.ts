/** Markdown tables from rows of cells. */

export type Cell = string | number | boolean | null | undefined;

const escapeCell = (cell: Cell): string =>
  cell === null || cell === undefined ? '' : String(cell).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** A GitHub-flavoured Markdown table; `align` marks numeric columns right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[], align?: readonly ('left' | 'right')[]): string {
  const rule = headers.map((_, i) => (align?.[i] === 'right' ? '---:' : '---'));
  const line = (cells: readonly Cell[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}
