/**
 * The site's Markdown pages, from the repository's: every task heading anchored and followed
 * by one line of links (its text ↔ its key ↔ its models ↔ their API), every page headed by
 * the pages it belongs with, Mermaid blocks replaced by pre-rendered diagrams; and the pages
 * the site adds (the invariants, the models' index, the API overview).
 */
import { invariantAnchor, isFiguresHeading, proseLines, taskOfHeading, type ChapterInfo, type SitePage, type SiteSources, type TaskInfo } from './sources.ts';
import { renderDiagram, type RenderedDiagram } from './diagrams.ts';
import type { ApiModule } from './api.ts';

/** Where each kind of page lives on the site (routes end in .html: VitePress without clean URLs). */
export const routes = {
  chapter: (slug: string) => `/${slug}/`,
  key: (slug: string) => `/${slug}/key.html`,
  model: (slug: string) => `/models/${slug}.html`,
  models: '/models/',
  invariants: '/invariants.html',
  invariant: (id: string) => `/invariants.html#${invariantAnchor(id)}`,
  api: '/api.html',
  diagram: (file: string) => `/diagrams/${file}`,
};

/** The anchor of the key's section on the invariants and of a model README's figures. */
export const figuresAnchor = 'figures';

const modelTitle = (sources: SiteSources, slug: string) => sources.models.find((m) => m.slug === slug)?.title.replace(/^Model:\s*/, '') ?? slug;
const chapterOf = (sources: SiteSources, slug: string) => sources.chapters.find((c) => c.slug === slug)!;
const chapterLabel = (chapter: ChapterInfo) => `Chapter ${chapter.number} — ${chapter.shortTitle}`;
const join = (parts: (string | undefined | false)[]) => parts.filter(Boolean).join(' · ');

function modelLinks(sources: SiteSources, models: readonly string[], api: readonly ApiModule[]): string | undefined {
  if (models.length === 0) return undefined;
  const links = models.map((m) => `[${modelTitle(sources, m)}](${routes.model(m)})`).join(', ');
  const apis = api.filter((a) => models.some((m) => a.name.startsWith(`models/${m}/`)));
  return `model: ${links}${apis.length ? ` (API: ${apis.map((a) => `[${a.name.split('/').pop()}](${a.href})`).join(', ')})` : ''}`;
}

/** The line of links under a task's heading. */
function taskHop(sources: SiteSources, task: TaskInfo, on: 'chapter' | 'key', api: readonly ApiModule[]): string {
  const counterpart =
    on === 'chapter'
      ? sources.solutions && sources.pages.some((p) => p.kind === 'key' && p.chapter === task.chapter)
        ? `[answer key § ${task.id}](${routes.key(task.chapter)}#${task.anchor})`
        : undefined
      : `[the task](${routes.chapter(task.chapter)}#${task.anchor})`;
  const invariants = task.invariants.length ? `invariants: ${task.invariants.join(', ')}` : undefined;
  return `<span class="hop">${join([counterpart, modelLinks(sources, task.models, api), invariants])}</span>`;
}

/** The line of links under a page's title. */
function pageHop(sources: SiteSources, page: SitePage, api: readonly ApiModule[]): string | undefined {
  if (page.kind === 'chapter' || page.kind === 'key') {
    const chapter = chapterOf(sources, page.chapter!);
    const hasKey = sources.pages.some((p) => p.kind === 'key' && p.chapter === chapter.slug);
    const other = page.kind === 'chapter' ? (hasKey ? `[answer key](${routes.key(chapter.slug)})` : undefined) : `[the chapter’s text](${routes.chapter(chapter.slug)})`;
    const ids = sources.invariants.filter((i) => i.chapter === chapter.slug).map((i) => i.id);
    return join([other, modelLinks(sources, chapter.models, api), ids.length ? `invariants: ${ids.join(', ')}` : undefined]);
  }
  if (page.kind === 'model') {
    const slug = page.file.replace(/^models\/|\.md$/g, '');
    const model = sources.models.find((m) => m.slug === slug)!;
    const usedBy = model.chapters.map((c) => {
      const chapter = chapterOf(sources, c);
      const tasks = sources.tasks.filter((t) => t.chapter === c && t.models.includes(slug));
      const taskLinks = tasks.map((t) => `[${t.id}](${routes.chapter(c)}#${t.anchor})`).join(', ');
      const key = sources.solutions && sources.pages.some((p) => p.kind === 'key' && p.chapter === c) ? ` ([key](${routes.key(c)}))` : '';
      return `[${chapterLabel(chapter)}](${routes.chapter(c)})${taskLinks ? ` (tasks ${taskLinks})` : ''}${key}`;
    });
    const apis = api.filter((a) => a.name.startsWith(`models/${slug}/`));
    return join([
      usedBy.length ? `used in ${usedBy.join('; ')}` : undefined,
      apis.length ? `API: ${apis.map((a) => `[${a.name.split('/').pop()}](${a.href})`).join(', ')}` : undefined,
    ]);
  }
  return undefined;
}

/**
 * A repository page as the site shows it. `diagrams` receives every diagram rendered, to be
 * written beside the pages.
 */
export function sitePage(
  sources: SiteSources,
  page: SitePage,
  markdown: string,
  api: readonly ApiModule[],
  diagrams: RenderedDiagram[],
  warn: (message: string) => void = () => {},
): string {
  const lines = markdown.split('\n');
  const insertAfter = new Map<number, string>();
  let titleSeen = false;
  let figuresDone = false;
  for (const { line, index } of proseLines(markdown)) {
    if (!titleSeen && /^#\s/.test(line)) {
      titleSeen = true;
      const hop = pageHop(sources, page, api);
      if (hop) insertAfter.set(index, `<span class="hop">${hop}</span>`);
      continue;
    }
    const task = page.kind === 'chapter' || page.kind === 'key' ? taskOfHeading(line) : undefined;
    const info = task && sources.tasks.find((t) => t.id === task.task && t.chapter === page.chapter);
    if (info && !/\{#[^}]*\}\s*$/.test(line)) {
      lines[index] = `${line} {#${info.anchor}}`;
      insertAfter.set(index, taskHop(sources, info, page.kind === 'chapter' ? 'chapter' : 'key', api));
      continue;
    }
    // The figures an invariant id links to: a model's last check, the key's invariants table.
    if (!/\{#/.test(line) && isFiguresHeading(page.kind, line) && !figuresDone) {
      figuresDone = true;
      lines[index] = `${line} {#${figuresAnchor}}`;
    }
  }
  const out: string[] = [];
  let fence: string | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const marker = /^\s*(```+|~~~+)(\S*)/.exec(line);
    // A ```mermaid fence outside any other becomes a pre-rendered diagram.
    if (marker && fence === null && marker[2] === 'mermaid') {
      const close = lines.findIndex((l, i) => i > index && l.trim() === marker[1]);
      const source = lines.slice(index + 1, close).join('\n');
      let diagram: RenderedDiagram | undefined;
      try {
        diagram = close > index ? renderDiagram(source) : undefined;
      } catch (error) {
        // A diagram the renderer cannot draw stays on the page as its source, and the build goes on.
        warn(`${page.source}: a Mermaid diagram could not be rendered (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); its source is shown instead`);
      }
      if (diagram) {
        diagrams.push(diagram);
        const href = routes.diagram(diagram.file);
        const kind = /^\s*(sequence|state)/.exec(source)?.[1];
        out.push(`<a class="diagram" href="${href}" target="_blank" title="open the diagram full size"><img src="${href}" alt="${kind ? `${kind} diagram` : 'diagram'}" loading="lazy"></a>`);
        index = close;
        continue;
      }
    }
    if (marker) fence = fence === null ? marker[1]! : marker[1]!.startsWith(fence) && !marker[2] ? null : fence;
    out.push(line);
    const after = insertAfter.get(index);
    if (after) out.push('', after, '');
  }
  return out.join('\n');
}

/** The invariants page: each id's statement, the tasks it backs, the models that state it, its figures. */
export function invariantsPage(sources: SiteSources): string {
  const out = [
    '# Invariants',
    '',
    'Every invariant the workbook checks: its statement, the task it backs, the model that states it and the figures of its last check.',
    '',
  ];
  for (const chapter of sources.chapters) {
    const invariants = sources.invariants.filter((i) => i.chapter === chapter.slug);
    if (invariants.length === 0) continue;
    out.push(`## ${chapterLabel(chapter)}`, '');
    for (const inv of invariants) {
      const tasks = inv.tasks.map((t) => {
        const task = sources.tasks.find((x) => x.id === t);
        return task ? `[task ${t}](${routes.chapter(task.chapter)}#${task.anchor})` : `task ${t}`;
      });
      const key = sources.pages.find((p) => p.kind === 'key' && p.chapter === inv.chapter);
      const figures = [
        ...inv.models.map((m) => {
          const page = sources.pages.find((p) => p.kind === 'model' && p.file === `models/${m}.md`);
          return `[${modelTitle(sources, m)}](${routes.model(m)}${page?.figures ? `#${figuresAnchor}` : ''})`;
        }),
        key ? `[the answer key](${routes.key(inv.chapter)}${key.figures ? `#${figuresAnchor}` : ''})` : undefined,
      ].filter(Boolean);
      out.push(
        `### ${inv.id} {#${inv.anchor}}`,
        '',
        inv.statement,
        '',
        `<span class="hop">${join([
          tasks.length ? `backs ${tasks.join(', ')}` : undefined,
          inv.models.length ? `stated by ${inv.models.map((m) => `[${modelTitle(sources, m)}](${routes.model(m)})`).join(', ')}` : undefined,
          figures.length ? `figures of its last check: ${figures.join(', ')}` : undefined,
        ])}</span>`,
        '',
      );
    }
  }
  return out.join('\n');
}

/** The models' index: each model with the first paragraph of its README. */
export function modelsPage(sources: SiteSources, readmes: Map<string, string>): string {
  const out = ['# Models', '', 'Every model of the workbook, with its constants, invariants and the figures of its last check.', ''];
  for (const model of sources.models) {
    const intro = (readmes.get(model.slug) ?? '').split(/\n\s*\n/).find((block) => !block.startsWith('#'))?.replace(/\s+/g, ' ') ?? '';
    out.push(`## [${modelTitle(sources, model.slug)}](${routes.model(model.slug)})`, '', intro, '');
  }
  return out.join('\n');
}

/** The API overview: every module of the reference, with its summary, grouped by folder. */
export function apiPage(sources: SiteSources, api: readonly ApiModule[]): string {
  const out = [
    '# API',
    '',
    'The TypeScript API of the models, the invariants, the answer types and the tools the checks are built on, generated by typedoc from the TSDoc of the sources. Each module opens its full reference.',
    '',
  ];
  const groups = new Map<string, ApiModule[]>();
  for (const module of api) {
    const group = module.name.split('/').slice(0, 2).join('/');
    groups.set(group, [...(groups.get(group) ?? []), module]);
  }
  for (const [group, modules] of groups) {
    const [top, name] = group.split('/');
    const model = top === 'models' && sources.models.find((m) => m.slug === name);
    const chapter = top === 'specs' && sources.chapters.find((c) => c.slug === name);
    const heading = model ? `[${modelTitle(sources, model.slug)}](${routes.model(model.slug)})` : chapter ? `[${chapterLabel(chapter)}](${routes.chapter(chapter.slug)})` : `\`${group}/\``;
    out.push(`## ${top === 'specs' ? 'Specs of ' : ''}${heading}`, '');
    for (const module of modules) out.push(`- [\`${module.name}\`](${module.href}) — ${module.summary || 'no summary'}`);
    out.push('');
  }
  return out.join('\n');
}
