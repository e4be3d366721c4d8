/**
 * `npm run watch [-- <chapter>]`: re-check on every save, as rustlings does. Each run is a fresh
 * `npm run check` process, so an edited answer file is always loaded anew.
 *
 * The answers folder is watched with chokidar (a folder, not a file): editors that save by
 * writing a new file and renaming it over the old one (vim, JetBrains' safe write, `sed -i`)
 * are seen like any other save. A save in another chapter's folder checks that chapter.
 * Keys: h shows or hides the hints (hidden at first: try, then ask), r the rest of a
 * prediction task's trace (`check --reveal`, which is recorded), Enter re-checks now,
 * n moves on to the next chapter once this one passes, q quits. A check still running when a new one starts, or
 * when q is pressed, is stopped with everything it started: it runs in a process group of
 * its own, and the whole group is ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { chapterEntries, findChapter, repoRoot, type ChapterEntry } from '../chapters.ts';
import { commandLine } from './args.ts';

const { values, positionals } = commandLine('usage: npm run watch [-- <chapter>] [--answers <dir>]', {
  allowPositionals: true,
  options: { answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') } },
});

const answersRoot = resolve(values.answers!);
let chapter: ChapterEntry | undefined;
try {
  chapter = positionals.length ? findChapter(positionals[0]!) : undefined;
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
let running: ChildProcess | undefined;
let showHints = false;
let showReveal = false;
let lastPassed = false;
let timer: NodeJS.Timeout | undefined;

/** Ends a check and everything it started (its group), and resolves once it is gone. */
function stopCheck(): Promise<void> {
  const child = running;
  running = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    // A process that ignores SIGTERM (or a database it started that shuts down slowly) gets no longer.
    setTimeout(() => group('SIGKILL'), 1000).unref();
  });
}

async function check() {
  await stopCheck();
  if (interactive) process.stdout.write('\u001bc');
  const args = ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), ...(chapter ? [String(chapter.number)] : []), '--answers', answersRoot, ...(showHints ? ['--hints'] : []), ...(showReveal ? ['--reveal'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true, env: { ...process.env, FORCE_COLOR: interactive ? '1' : '0' } });
  running = child;
  child.on('exit', (code) => {
    if (running !== child) return; // stopped for a newer check
    running = undefined;
    lastPassed = code === 0;
    const next = chapter && lastPassed ? chapterEntries[chapterEntries.indexOf(chapter) + 1] : undefined;
    const keys = [`h ${showHints ? 'hides' : 'shows'} the hints`, 'Enter re-checks', ...(next ? [`n goes on to chapter ${next.number}`] : []), 'q quits'];
    console.log(`\nwatching ${relative(process.cwd(), answersRoot) || '.'}${chapter ? ` (chapter ${chapter.number})` : ''} — save a file to re-check · ${keys.join(' · ')}`);
  });
}

const watcher = watch(answersRoot, {
  ignoreInitial: true,
  // Only answer files; folders must pass so that their contents are watched.
  ignored: (path, stats) => Boolean(stats?.isFile() && !/\.(ts|sql)$/.test(path)),
});
watcher.on('all', (_event, path) => {
  if (!/\.(ts|sql)$/.test(path)) return;
  // A save in another chapter's folder checks that chapter.
  const slug = relative(answersRoot, path).split(sep)[0];
  const saved = chapterEntries.find((c) => c.slug === slug);
  if (saved) chapter = saved;
  clearTimeout(timer);
  timer = setTimeout(() => void check(), 150);
});

async function quit() {
  clearTimeout(timer);
  await watcher.close();
  await stopCheck();
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.exit(0);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void quit());

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (data) => {
  // A terminal sends one key at a time; a pipe may send several, or a line.
  for (const key of data.toString()) {
    if (key === 'q' || key === '\u0003') return void quit();
    if (key === '\r' || key === '\n') void check();
    if (key === 'h') {
      showHints = !showHints;
      void check();
    }
    if (key === 'r') {
      showReveal = !showReveal;
      void check();
    }
    if (key === 'n' && chapter && lastPassed) {
      const next = chapterEntries[chapterEntries.indexOf(chapter) + 1];
      if (next) {
        chapter = next;
        void check();
      }
    }
  }
});
process.stdin.on('end', () => {
  // stdin closed (no terminal): keep watching until a signal.
});
watcher.on('ready', () => void check());
