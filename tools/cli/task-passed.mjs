#!/usr/bin/env node
// Exit 0 when one task passed in a check's JSON result (`npm run -s check -- --json`), else 1,
// saying why. The release's autograding workflow runs it once per task, for that task's points.
import { readFileSync } from 'node:fs';

const [file, task] = process.argv.slice(2);
if (!file || !task) {
  console.error('usage: node tools/cli/task-passed.mjs <result.json> <task, e.g. 1.3>');
  process.exit(2);
}
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no readable check result in ${file}: ${error.message}`);
  process.exit(1);
}
const test = (result.tests ?? []).find((t) => t.task_id === task || String(t.name).startsWith(`${task} `));
if (!test) {
  console.error(`task ${task} was not checked`);
  process.exit(1);
}
console.log(`${task}: ${String(test.status).toUpperCase()}${test.message ? ` — ${test.message}` : ''}`);
process.exit(test.status === 'pass' ? 0 : 1);
