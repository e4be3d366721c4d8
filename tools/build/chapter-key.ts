/** What a chapter's `solutions/<slug>/key.ts` returns to the build. */
export interface ChapterKey {
  /** The answer key, written to `solutions/<slug>/KEY.md`. */
  markdown: string;
  /** Files beside it (diagrams), by name. */
  files: Record<string, string>;
  /** Figures for the README of each model the chapter uses: `models/<name>/README.md`, block `figures`. */
  modelFigures?: Record<string, string>;
  /**
   * The scenario's figures as the chapter's text quotes them (`<!-- value:NAME -->…<!-- /value -->`
   * in `exercises/<slug>/README.md`), taken from the chapter's one typed config.
   */
  textValues?: Record<string, string>;
  /** One line for the README's table of chapters: what the model checked. */
  summary?: string;
}
