/**
 * `npm run watch [-- <chapter>]`: re-check on every save, as rustlings does. Each run is a
 * fresh `npm run check` process, so an edited answer file is always loaded anew.
 * Keys: h shows or hides the hints, Enter re-checks now, q quits. Hints start hidden, as in
 * rustlings: try first, then ask.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../chapters.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { answers: { type: 'string', short: 'a', default: join(repoRoot, 'exercises') } },
});

let running: ChildProcess | undefined;
let showHints = false;
let timer: NodeJS.Timeout | undefined;

function check() {
  running?.kill();
  process.stdout.write('\u001bc');
  const args = ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), ...positionals, '--answers', values.answers!, ...(showHints ? [] : ['--no-hints'])];
  running = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '1' } });
  running.on('exit', () =>
    console.log(`\nwatching ${values.answers} — save a file to re-check · h ${showHints ? 'hides' : 'shows'} the hints · Enter re-checks · q quits`),
  );
}

watch(values.answers!, { recursive: true }, (_, file) => {
  if (!file || !/\.(ts|sql)$/.test(file)) return;
  clearTimeout(timer);
  timer = setTimeout(check, 150);
});

if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.on('data', (key) => {
    const k = key.toString();
    if (k === 'q' || k === '\u0003') process.exit(0);
    if (k === '\r') check();
    if (k === 'h') {
      showHints = !showHints;
      check();
    }
  });
}
check();
