/**
 * The GitHub Actions workflow a student release carries, in the form GitHub Classroom's
 * autograding runs: one `classroom-resources/autograding-command-grader` step per task, worth
 * that task's points, and the reporter that sums them. The release's own check runs once and
 * writes its JSON; each task's step only reads its verdict from there, so a class is graded
 * on GitHub's runners at the cost of one check per push.
 */
export interface ClassroomTask {
  id: string;
  title: string;
  points: number;
}

/** A step id GitHub accepts (letters, digits, `-`, `_`) and the reporter's `<ID>_RESULTS` variable. */
const stepId = (task: ClassroomTask) => `task-${task.id.replace(/\W/g, '-')}`;
const resultsVariable = (task: ClassroomTask) => `${stepId(task).toUpperCase().replace(/-/g, '_')}_RESULTS`;
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

export const RESULT_FILE = '.grading/result.json';

export function classroomWorkflow(tasks: readonly ClassroomTask[]): string {
  const lines = [
    'name: Autograding',
    "'on':",
    '  - push',
    '  - workflow_dispatch',
    '  - repository_dispatch',
    'permissions:',
    '  checks: write',
    '  actions: read',
    '  contents: read',
    'jobs:',
    '  grade:',
    '    runs-on: ubuntu-latest',
    "    if: github.actor != 'github-classroom[bot]'",
    '    timeout-minutes: 20',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    "          node-version: '20'",
    '      - name: Install',
    '        run: npm ci --no-audit --no-fund',
    '      - name: Check every task once',
    // The check exits 1 while a task fails: the verdicts are in the file either way.
    `        run: mkdir -p .grading && (npm run -s check -- --json > ${RESULT_FILE} || true)`,
  ];
  for (const task of tasks) {
    lines.push(
      `      - name: ${quote(`${task.id} ${task.title}`)}`,
      `        id: ${stepId(task)}`,
      '        uses: classroom-resources/autograding-command-grader@v1',
      '        with:',
      `          test-name: ${quote(`${task.id} ${task.title}`)}`,
      `          command: node tools/cli/task-passed.mjs ${RESULT_FILE} ${task.id}`,
      '          timeout: 1',
      `          max-score: ${task.points}`,
    );
  }
  lines.push(
    '      - name: Report',
    '        uses: classroom-resources/autograding-grading-reporter@v1',
    '        env:',
    ...tasks.map((task) => `          ${resultsVariable(task)}: "\${{ steps.${stepId(task)}.outputs.result }}"`),
    '        with:',
    `          runners: ${tasks.map(stepId).join(',')}`,
  );
  return `${lines.join('\n')}\n`;
}
