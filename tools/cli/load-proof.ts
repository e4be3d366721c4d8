/**
 * `npm run load-proof`: the reference answers of every chapter, graded while CPU hogs keep
 * every core busy, must all pass. A verdict that changes with the machine's load is a false
 * verdict; this counts them (and exits 1 if there is one).
 *
 *   npm run load-proof                    one hog per core, every chapter
 *   npm run load-proof -- --hogs 4 2 3    four hogs, chapters 2 and 3
 *
 * Besides the reference answers it grades chapter 4's reference answered at the largest 4.3
 * bounds its text allows (written from the reference into .tmp/, so it cannot go stale): every
 * bound the text offers must be gradable within the default budget, on a busy machine too.
 *
 * The hogs are plain busy loops in child processes, started and stopped here; each also ends
 * by itself after `--hog-seconds` (default 600), so none outlives a run that is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BREAKER_BOUNDS } from '../../specs/04-high-availability/chapter.ts';
import { join } from 'node:path';
import { chapterEntries, findChapter, repoRoot, solutionsDir, type ChapterEntry } from '../chapters.ts';
import { gradeChapter } from '../grading/grade-chapter.ts';
import { markdownTable } from '../render/table.ts';
import type { TaskReport } from '../grading/run-task.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage:\n    npm run load-proof                    one hog per core, every chapter\n    npm run load-proof -- --hogs 4 2 3    four hogs, chapters 2 and 3', {
  allowPositionals: true,
  options: {
    hogs: { type: 'string', default: String(availableParallelism()) },
    'hog-seconds': { type: 'string', default: '600' },
    timeout: { type: 'string' },
  },
});
const hogCount = Number(values.hogs);
const hogSeconds = Number(values['hog-seconds']);
const entries = positionals.length ? positionals.map(findChapter) : chapterEntries;
const log = (line: string) => process.stderr.write(`${line}\n`);

function startHog(): ChildProcess {
  const loop = `const end = Date.now() + ${hogSeconds * 1000}; let x = 0; while (Date.now() < end) x = (x + 1) % 1e9;`;
  return spawn(process.execPath, ['-e', loop], { stdio: 'ignore' });
}

const hogs = Array.from({ length: hogCount }, startHog);
const stopHogs = () => hogs.forEach((hog) => hog.kill('SIGKILL'));
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

log(`${hogCount} CPU hog${hogCount === 1 ? '' : 's'} running (pids ${hogs.map((h) => h.pid).join(', ')}) on ${availableParallelism()} cores`);
const started = performance.now();
const rows: (string | number)[][] = [];
const falseVerdicts: TaskReport[] = [];
/** Chapter 4's reference breaker moved to the largest window, volume and probes the text allows. */
function largestBounds(entry: ChapterEntry): string {
  const dir = join(repoRoot, '.tmp', 'largest-bounds', entry.slug);
  let text = readFileSync(join(solutionsDir(entry), 'answers.ts'), 'utf8').replaceAll("'../../", "'../../../");
  for (const [field, value] of [['windowSize', BREAKER_BOUNDS.timeWindowSeconds.max], ['minimumCalls', BREAKER_BOUNDS.minimumCalls.max], ['halfOpenProbes', BREAKER_BOUNDS.halfOpenProbes.max]] as const) {
    const pattern = new RegExp(`(\\b${field}: )\\d+`, 'g');
    if ((text.match(pattern) ?? []).length !== 1) throw new Error(`load-proof: the 4.3 reference no longer has one \`${field}: <number>\`; update largestBounds()`);
    text = text.replace(pattern, `$1${value}`);
  }
  if (!/windowKind: 'seconds'/.test(text)) throw new Error("load-proof: the 4.3 reference no longer uses a time window; update largestBounds()");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'answers.ts'), text);
  return dir;
}
const runs = [
  ...entries.map((entry) => ({ entry, dir: solutionsDir(entry), label: `${entry.number}` })),
  ...entries.filter((entry) => entry.slug === '04-high-availability').map((entry) => ({ entry, dir: largestBounds(entry), label: `${entry.number} (largest bounds)` })),
];
for (const { entry, dir, label } of runs) {
  const t0 = performance.now();
  const reports = await gradeChapter(entry, dir, values.timeout ? { timeoutMs: Number(values.timeout) } : {});
  const seconds = (performance.now() - t0) / 1000;
  const wrong = reports.filter((r) => r.status !== 'pass');
  falseVerdicts.push(...wrong);
  // The task closest to its limit: how much room the reference answers leave.
  const heaviest = reports.reduce<TaskReport | undefined>((most, r) => ((r.cpuMs ?? 0) > (most?.cpuMs ?? -1) ? r : most), undefined);
  const cpu = heaviest?.cpuMs === undefined ? 'n/a' : `${heaviest.id}: ${(heaviest.cpuMs / 1000).toFixed(1)} s`;
  rows.push([label, reports.length, reports.length - wrong.length, wrong.length, seconds.toFixed(1), cpu]);
  log(`chapter ${label}: ${reports.length - wrong.length}/${reports.length} pass in ${seconds.toFixed(1)} s`);
}
stopHogs();

console.log(markdownTable(['chapter', 'tasks', 'pass', 'false verdicts', 'wall s', `most CPU of a task (limit ${(values.timeout ? Number(values.timeout) : 10_000) / 1000} s)`], rows));
console.log(`\n${falseVerdicts.length} false verdict${falseVerdicts.length === 1 ? '' : 's'} with ${hogCount} CPU hogs on ${availableParallelism()} cores, in ${((performance.now() - started) / 1000).toFixed(0)} s`);
for (const report of falseVerdicts) console.log(`  ${report.id} ${report.status}: ${report.message}`);
process.exit(falseVerdicts.length === 0 ? 0 : 1);
