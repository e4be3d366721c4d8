/** The README of a student release: from clone to the first check in two commands. */
export function studentReadme(chapters: readonly { number: number; slug: string; title: string; tasks: number }[], scripts: readonly string[]): string {
  const has = (name: string) => scripts.includes(name);
  const total = chapters.reduce((sum, c) => sum + c.tasks, 0);
  const first = has('start') ? 'npm start' : 'npm run check';
  return `# Payment System Design — an executable workbook

${chapters.length} chapters, ${total} tasks. Each chapter is a text in \`exercises/\` and a typed answer
file beside it; every answer is checked against an executable model of the system it is about.

\`\`\`sh
npm install
${first}                        # progress over every task, and the next one to do
\`\`\`

Node 20 or later and nothing else: no database server, no browser.

## Working on a chapter

${chapters.map((c) => `- [${c.title}](exercises/${c.slug}/README.md) — ${c.tasks} tasks`).join('\n')}

Read the chapter, replace each \`TODO: not answered yet\` in its answer files, then:

\`\`\`sh
npm run check -- 1              # chapter 1: PASS / FAIL / ERR / TODO per task
${has('watch') ? 'npm run watch -- 1              # check again on every save\n' : ''}${has('hint') ? 'npm run hint -- 1.3             # a question to think about for one task\n' : ''}${has('reset') ? 'npm run reset -- 1.3            # start one task again from its stub\n' : ''}\`\`\`

- **PASS**: the answer has every property the task asks for.
- **FAIL**: the answer runs, and the model shows what goes wrong (a counterexample trace).
- **ERR**: the answer could not run (it threw, does not load, or misses an export).
- **TODO**: not answered yet.

A failing check says what is wrong, never what the right answer is.

## Grading

Each push runs \`.github/workflows/classroom.yml\`: the same check, one score per task.
`;
}
