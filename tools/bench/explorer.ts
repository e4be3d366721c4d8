/**
 * The explorer's bench: two-phase commit at N = 3..6 resource managers, explored by the
 * workbook's explorer and by @xstate/graph's `getShortestPaths` side by side, then one large run near a
 * million distinct states, and the symmetry-reduced counts beside the full ones.
 *
 * `benchExplorer()` returns the results as a Markdown section (`npm run bench` puts it in
 * `bench/results.md`) and writes the figures of `models/two-phase-commit/README.md`; run
 * directly (`npx tsx tools/bench/explorer.ts`), it prints the section. Every figure in those
 * files comes from here: none is typed by hand.
 */
import { getShortestPaths } from '@xstate/graph';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  candidateEvents,
  createTwoPhaseCommitModel,
  invariants,
  stateKey,
  symmetricStateKey,
} from '../../models/two-phase-commit/machine.ts';
import { defaultStateKey, explore, type Figures } from '../explore/explore.ts';

/** The library is run only up to here: at N = 6 it takes minutes. */
const LIBRARY_MAX_N = 5;
/** The large run: 2PC with 8 RMs has about 1.7 million distinct states. */
const LARGE_N = 8;

// A full collection before each run, so that one run's garbage does not count in the next
// run's peak memory. `--expose-gc` set at run time gives `gc` to new contexts only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const machineFor = (n: number) => createTwoPhaseCommitModel({ resourceManagers: n });

/** One exploration of 2PC with n RMs; `fast` = fast path and the model's own key. */
function run(n: number, how: 'fast' | 'default key' | 'xstate' | 'symmetry', maxStates = 5_000_000): Figures {
  collectGarbage();
  const options = {
    fast: { stateKey },
    'default key': { stateKey: defaultStateKey },
    xstate: { fastPath: false, stateKey: defaultStateKey },
    symmetry: { symmetry: symmetricStateKey },
  }[how];
  const cpu = process.cpuUsage();
  const result = explore(machineFor(n), { events: candidateEvents, invariants, maxStates, ...options });
  if (result.violations.length > 0) throw new Error(`2PC N=${n} violates ${result.violations[0]!.property.id}`);
  // CPU time, not wall time: on a shared machine wall time measures the neighbours too.
  return { ...result.figures, ms: cpuMsSince(cpu) };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function runLibrary(n: number): { states: number; ms: number } {
  collectGarbage();
  const started = process.cpuUsage();
  const paths = getShortestPaths(machineFor(n), {
    events: candidateEvents as never,
    serializeState: (snapshot) => defaultStateKey(snapshot as never),
  });
  return { states: paths.length, ms: cpuMsSince(started) };
}

const count = (x: number) => Math.round(x).toLocaleString('en');
const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const perSecond = (figures: Figures) => count(figures.states / (figures.ms / 1000));
const mb = (x: number) => `${Math.round(x)} MB`;

export interface ExplorerBench {
  markdown: string;
  /** The figures of the last full check of 2PC at each N, for the model's README. */
  twoPhase: { n: number; full: Figures; reduced: Figures }[];
}

export async function runExplorerBench(log: (line: string) => void = () => {}): Promise<ExplorerBench> {
  const lines: string[] = [];
  const machine = `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${os.platform()}`;
  lines.push('## The explorer against @xstate/graph', '');
  lines.push(
    `Two-phase commit (models/two-phase-commit, the TLA+ TwoPhase spec) with N resource managers, measured on ${machine}, ` +
      `${new Date().toISOString().slice(0, 10)}. One run each; every time is CPU time (user + system) of the run. ` +
      `"Explorer" uses the fast path and the model's own state key; "default key" the fast path with the default key ` +
      `(\`JSON.stringify\` of value and context); "explorer via xstate" computes every step with ` +
      `xstate's \`transition()\` and keys states by \`JSON.stringify\` of value and context, as the library does; ` +
      `peak memory is the largest heap plus typed-array memory sampled during the explorer's run.`,
    '',
  );
  lines.push(
    '| N | distinct states | generated | depth | explorer | states/s | peak memory | default key | explorer via xstate | getShortestPaths | library ÷ explorer |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  const twoPhase: ExplorerBench['twoPhase'] = [];
  let skippedLibrary = false;
  for (const n of [3, 4, 5, 6]) {
    const full = run(n, 'fast');
    const defaultKey = run(n, 'default key');
    const viaXstate = run(n, 'xstate');
    if (viaXstate.states !== full.states) throw new Error(`N=${n}: ${viaXstate.states} states via xstate, ${full.states} fast`);
    let library = 'skipped (see note)';
    let ratio = '—';
    if (n <= LIBRARY_MAX_N) {
      const lib = runLibrary(n);
      if (lib.states !== full.states) throw new Error(`N=${n}: the library found ${lib.states} states, the explorer ${full.states}`);
      library = seconds(lib.ms);
      ratio = `${(lib.ms / full.ms).toFixed(0)}×`;
    } else skippedLibrary = true;
    lines.push(
      `| ${n} | ${count(full.states)} | ${count(full.generated)} | ${full.depth} | ${seconds(full.ms)} | ${perSecond(full)} | ${mb(full.peakMemoryMb)} | ${seconds(defaultKey.ms)} | ${seconds(viaXstate.ms)} | ${library} | ${ratio} |`,
    );
    log(`2PC N=${n}: ${full.states} states in ${seconds(full.ms)}; via xstate ${seconds(viaXstate.ms)}; library ${library}`);
    twoPhase.push({ n, full, reduced: run(n, 'symmetry') });
  }
  lines.push('');
  if (skippedLibrary) {
    lines.push(
      `The library is not run beyond N = ${LIBRARY_MAX_N}: its shortest-paths traversal grows about quadratically ` +
        `(compare its column with the explorer's), and at N = 6 it takes minutes. Both tools agree on every state and every ` +
        `shortest distance where both run (tests/explore/agrees-with-xstate-graph.test.ts); the bench also checks that ` +
        `they count the same states.`,
      '',
    );
  }

  lines.push('### Symmetry reduction', '');
  lines.push(
    'Resource managers are interchangeable, so a state and its renamings are one class (`symmetry: symmetricStateKey`, ' +
      'which sorts the RMs\' parts of the state). The reduced run keeps one representative per class; its traces are still real executions.',
    '',
  );
  lines.push('| N | distinct states | CPU | symmetry classes | CPU (reduced) | reduction |', '|---|---|---|---|---|---|');
  twoPhase.push({ n: 7, full: run(7, 'fast'), reduced: run(7, 'symmetry') });
  log('large run…');
  const large = run(LARGE_N, 'fast');
  twoPhase.push({ n: LARGE_N, full: large, reduced: run(LARGE_N, 'symmetry') });
  for (const { n, full, reduced } of twoPhase) {
    lines.push(
      `| ${n} | ${count(full.states)} | ${seconds(full.ms)} | ${count(reduced.states)} | ${seconds(reduced.ms)} | ${(full.states / reduced.states).toFixed(0)}× |`,
    );
  }
  lines.push('');

  lines.push('### A large run', '');
  lines.push(
    `Two-phase commit with ${LARGE_N} resource managers, full (no symmetry reduction), in one process with Node's default heap limit:`,
    '',
    '| distinct states | generated | transitions | depth | CPU | states/s | peak memory |',
    '|---|---|---|---|---|---|---|',
    `| ${count(large.states)} | ${count(large.generated)} | ${count(large.transitions)} | ${large.depth} | ${seconds(large.ms)} | ${perSecond(large)} | ${mb(large.peakMemoryMb)} |`,
    '',
  );
  log(`2PC N=${LARGE_N}: ${large.states} states in ${seconds(large.ms)}, peak heap ${mb(large.peakMemoryMb)}`);
  return { markdown: lines.join('\n'), twoPhase };
}

/** The bench's Markdown section, for `npm run bench`; also refreshes the 2PC model's figures. */
export async function benchExplorer(): Promise<string> {
  const bench = await runExplorerBench();
  writeModelReadme(bench);
  return bench.markdown;
}

const FIGURES_BEGIN = '<!-- figures: written by tools/bench/explorer.ts -->';
const FIGURES_END = '<!-- end of figures -->';

/** Replace the figures section of the model's README with the last check's. */
function writeModelReadme(bench: ExplorerBench): void {
  const path = new URL('../../models/two-phase-commit/README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const begin = readme.indexOf(FIGURES_BEGIN);
  const end = readme.indexOf(FIGURES_END);
  if (begin < 0 || end < begin) throw new Error('models/two-phase-commit/README.md has no figures markers');
  const rows = bench.twoPhase.map(
    ({ n, full, reduced }) =>
      `| ${n} | ${count(full.states)} | ${count(full.generated)} | ${full.depth} | ${seconds(full.ms)} | ${count(reduced.states)} | none |`,
  );
  const section = [
    FIGURES_BEGIN,
    'Invariants (from `invariants` in machine.ts):',
    '',
    ...invariants.map((invariant) => `- \`${invariant.id}\`: ${invariant.statement}`),
    '',
    `Last check: ${new Date().toISOString().slice(0, 10)}, every invariant on every reachable state (by the explorer's bench).`,
    '',
    '| resourceManagers | distinct states | generated | depth | CPU | symmetry classes | violations |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(path, readme.slice(0, begin) + section + readme.slice(end));
}

// Run on its own (`npx tsx tools/bench/explorer.ts`): the section on stdout, figures into the README.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await benchExplorer());
}
