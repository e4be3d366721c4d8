/**
 * The explorer at TLC's scale: Paxos Commit at the TLA+ Examples configuration, full and reduced
 * by symmetry, each run `repeat` times in a fresh process (run.ts); CPU time, not wall time, since
 * the machine may be shared. Fails when the counts differ from TLC's published ones.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { replaceGeneratedBlock, writeIfChanged } from '../../build/generated.ts';
import { fileURLToPath } from 'node:url';
import type { Figures } from '../../explore/explore.ts';

/** TLC's figures for this configuration, from tlaplus/Examples specifications/transaction_commit/manifest.json. */
export const TLC = { states: 1_321_761, generated: 16_959_159, depth: 28, runtimeSeconds: 60 };

export interface PaxosRun {
  figures: Figures;
  violations: string[];
  cpuMs: number;
  peakRssMb: number;
}

const runner = fileURLToPath(new URL('./run.ts', import.meta.url));

function runOnce(symmetry: boolean): PaxosRun {
  const args = ['--import', 'tsx', runner, ...(symmetry ? ['--symmetry'] : [])];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as PaxosRun;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface PaxosBench {
  full: PaxosRun;
  reduced: PaxosRun;
  /** Median CPU milliseconds over the repeats. */
  fullCpuMs: number;
  reducedCpuMs: number;
  /** The largest peak RSS over the repeats. */
  fullRssMb: number;
  reducedRssMb: number;
}

export function benchPaxosCommit(repeat: number, log: (line: string) => void = () => {}): PaxosBench {
  const fulls: PaxosRun[] = [];
  const reduceds: PaxosRun[] = [];
  for (let i = 0; i < repeat; i++) {
    fulls.push(runOnce(false));
    reduceds.push(runOnce(true));
    log(`Paxos Commit run ${i + 1}/${repeat}: ${(fulls.at(-1)!.cpuMs / 1000).toFixed(2)} s CPU full, ${(reduceds.at(-1)!.cpuMs / 1000).toFixed(2)} s reduced`);
  }
  const full = fulls[0]!;
  const { states, generated, depth } = full.figures;
  if (states !== TLC.states || generated !== TLC.generated || depth !== TLC.depth || full.violations.length > 0) {
    throw new Error(`Paxos Commit: ${states} states, ${generated} generated, depth ${depth}, violations [${full.violations}]: not TLC's figures`);
  }
  return {
    full,
    reduced: reduceds[0]!,
    fullCpuMs: median(fulls.map((run) => run.cpuMs)),
    reducedCpuMs: median(reduceds.map((run) => run.cpuMs)),
    fullRssMb: Math.max(...fulls.map((run) => run.peakRssMb)),
    reducedRssMb: Math.max(...reduceds.map((run) => run.peakRssMb)),
  };
}

const count = (x: number) => Math.round(x).toLocaleString('en');

/** The bench's Markdown section. */
export function paxosMarkdown(bench: PaxosBench, repeat: number): string {
  const row = (label: string, run: PaxosRun, cpuMs: number, rssMb: number, againstTlc: boolean) =>
    `| ${label} | ${count(run.figures.states)} | ${count(run.figures.generated)} | ${run.figures.depth} | ${(cpuMs / 1000).toFixed(2)} s | ` +
    `${count(run.figures.states / (cpuMs / 1000))} | ${count(run.figures.generated / (cpuMs / 1000))} | ${Math.round(rssMb)} MB | ` +
    `${againstTlc ? `${(TLC.runtimeSeconds / (cpuMs / 1000)).toFixed(0)}×` : '—'} |`;
  const ratio = bench.full.figures.states / bench.reduced.figures.states;
  return [
    '## The explorer at TLC\'s scale: Paxos Commit',
    '',
    'Paxos Commit (tools/bench/paxos-commit, written from Lamport\'s `PaxosCommit.tla` in github.com/tlaplus/Examples) at ' +
      'that repository\'s configuration: 2 RMs, 3 acceptors, majorities of two, ballots {0, 1}. The repository publishes TLC\'s ' +
      `figures for it: ${count(TLC.states)} distinct states, ${count(TLC.generated)} generated, depth ${TLC.depth}, runtime 1 min ` +
      '(`manifest.json`; machine not stated). The explorer finds the same three counts (checked here and by `npm run test:slow`). ' +
      `Each row: a fresh process per run, median CPU time (user + system) of ${repeat} runs, the largest peak resident memory of the ` +
      'process (start-up included). "TLC ÷ explorer" divides TLC\'s published runtime by this CPU time: an order of magnitude, not a race on one machine.',
    '',
    '| run | distinct states | generated | depth | CPU | states/s | generated/s | peak RSS | TLC ÷ explorer |',
    '|---|---|---|---|---|---|---|---|---|',
    row('full', bench.full, bench.fullCpuMs, bench.fullRssMb, true),
    row('symmetry (acceptors and RMs)', bench.reduced, bench.reducedCpuMs, bench.reducedRssMb, false),
    '',
    `Symmetry reduction keeps ${ratio.toFixed(1)}× fewer states and runs ${(bench.fullCpuMs / bench.reducedCpuMs).toFixed(1)}× faster ` +
      '(its canonical form sorts the three acceptors\' slots for both orders of the RMs: a few operations per successor).',
    '',
  ].join('\n');
}

/** The figures block of this model's README: counts of the last check, then its cost. */
export function writePaxosReadme(bench: PaxosBench): void {
  const path = fileURLToPath(new URL('./README.md', import.meta.url));
  const f = bench.full.figures;
  const r = bench.reduced.figures;
  const figures = [
    `Last check (\`npm run bench\`, ${new Date().toISOString().slice(0, 10)}): every invariant on every reachable state, no violation.`,
    '',
    '| run | distinct states | generated | depth | CPU (median) | peak RSS |',
    '|---|---|---|---|---|---|',
    `| full | ${count(f.states)} | ${count(f.generated)} | ${f.depth} | ${(bench.fullCpuMs / 1000).toFixed(2)} s | ${Math.round(bench.fullRssMb)} MB |`,
    `| symmetry | ${count(r.states)} | ${count(r.generated)} | ${r.depth} | ${(bench.reducedCpuMs / 1000).toFixed(2)} s | ${Math.round(bench.reducedRssMb)} MB |`,
    '',
    `States are kept as 64-bit fingerprints: the chance that two of the full run's states shared one (and were counted as one) is ` +
      `${(f.collisionProbability ?? NaN).toExponential(1)} (n² / 2⁶⁵).`,
  ].join('\n');
  writeIfChanged(path, replaceGeneratedBlock(readFileSync(path, 'utf8'), 'figures', figures, path));
}
