/**
 * Writing generated files: only when their content changes (so that timestamps and `git
 * status` stay quiet), and blocks of generated text inside hand-written files, between
 * `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Returns true when the file changed. */
export function writeIfChanged(path: string, content: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return true;
}

export function replaceGeneratedBlock(text: string, name: string, content: string, file = '<text>'): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file}: no block ${open} … ${close} to fill`);
  return `${text.slice(0, start + open.length)}\n${content.trim()}\n${text.slice(end)}`;
}

/**
 * Scenario figures inside hand-written prose: `<!-- value:NAME -->5 s<!-- /value -->` is
 * rewritten with `values[NAME]`, so that a chapter's text takes its numbers from the same
 * typed config as its model and key and cannot go stale. The markers are HTML comments:
 * invisible on GitHub and in the site. A name the text uses but the config lacks is an error.
 */
export function fillValues(text: string, values: Record<string, string>, file = '<text>'): string {
  return text.replace(/<!-- value:([\w.-]+) -->([\s\S]*?)<!-- \/value -->/g, (_whole, name: string) => {
    if (!(name in values)) throw new Error(`${file}: no value named "${name}" (the chapter's values are: ${Object.keys(values).join(', ') || 'none'})`);
    return `<!-- value:${name} -->${values[name]}<!-- /value -->`;
  });
}
