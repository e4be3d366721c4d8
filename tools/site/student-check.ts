/**
 * The student site must hold no answer key and no reference answer. Checked on the built
 * output (HTML, page scripts, the search index): no key page, no key's headings, and no line of
 * a reference answer (the text between BEGIN SOLUTION and END SOLUTION markers) that the
 * student's own files do not already show.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../chapters.ts';

const listFiles = (dir: string) => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]) : []);

/** The lines between solution markers of every reference answer. */
function solutionLines(): { file: string; line: string }[] {
  const found: { file: string; line: string }[] = [];
  const dir = join(repoRoot, 'solutions');
  for (const file of listFiles(dir).filter((f) => /\.(ts|sql)$/.test(f))) {
    let inside = false;
    for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (/BEGIN SOLUTION/.test(raw)) inside = true;
      else if (/END SOLUTION/.test(raw)) inside = false;
      else if (inside) found.push({ file: `solutions/${file}`, line: raw.trim() });
    }
  }
  return found;
}

/** Every text a student is given anyway: the chapters, their stubs, the models, the specs. */
function studentText(): string {
  const parts: string[] = [];
  for (const top of ['exercises', 'models', 'specs']) {
    for (const file of listFiles(join(repoRoot, top)).filter((f) => /\.(md|ts|sql)$/.test(f))) parts.push(readFileSync(join(repoRoot, top, file), 'utf8'));
  }
  for (const file of ['README.md', 'ARCHITECTURE.md', 'bench/results.md']) if (existsSync(join(repoRoot, file))) parts.push(readFileSync(join(repoRoot, file), 'utf8'));
  return parts.join('\n');
}

/** A built file's text as a reader would see it: tags stripped, entities and string escapes undone. */
export function visibleText(content: string): string {
  return content
    .replace(/\\n/g, '\n')
    .replace(/\\(["'`\\/])/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

/** What in the built site gives an answer away; empty when nothing does. */
export function checkStudentSite(outDir: string): string[] {
  const files = listFiles(outDir).filter((f) => /\.(html|js|json|txt|md)$/.test(f));
  const leaks: string[] = [];
  for (const file of files) if (/(^|\/)key\.html$/.test(file)) leaks.push(`${file}: an answer key page`);
  // A link to a key (the sidebar's, a chapter's "answer key") would lead to the 404 page, and
  // shows the site was built with the full site's navigation.
  for (const file of files.filter((f) => f.endsWith('.html'))) {
    if (/href="[^"]*\/key\.html[#"]/.test(readFileSync(join(outDir, file), 'utf8'))) leaks.push(`${file}: a link to an answer key`);
  }

  const given = studentText();
  // Lines long enough to be distinctive, that the student's own files do not already show.
  const answers = solutionLines().filter(({ line }) => line.length >= 24 && !line.startsWith('//') && !line.startsWith('--') && !given.includes(line));
  const keyHeadings: string[] = [];
  for (const file of listFiles(join(repoRoot, 'solutions')).filter((f) => f.endsWith('KEY.md'))) {
    for (const line of readFileSync(join(repoRoot, 'solutions', file), 'utf8').split('\n')) {
      const heading = /^#{1,3}\s+(.{12,})$/.exec(line)?.[1]?.trim();
      if (heading && !given.includes(heading)) keyHeadings.push(heading);
    }
  }
  for (const file of files) {
    const text = visibleText(readFileSync(join(outDir, file), 'utf8'));
    const line = answers.find((a) => text.includes(a.line));
    if (line) leaks.push(`${file}: a line of the reference answer ${line.file} ("${line.line.slice(0, 60)}")`);
    const heading = keyHeadings.find((h) => text.includes(h));
    if (heading) leaks.push(`${file}: a heading of an answer key ("${heading}")`);
  }
  return leaks;
}
