/**
 * One exploration of Paxos Commit in a process of its own, so that its peak resident memory is
 * its own: prints the figures, the CPU time (user + system) and the peak RSS as JSON.
 *
 *   npx tsx tools/bench/paxos-commit/run.ts [--symmetry] [--workers]
 *
 * --workers: on two worker threads (tools/explore/encoded-parallel.ts, a measured prototype: see
 * this folder's README, "Worker threads"); the CPU time is the process's, workers included.
 */
import { exploreEncoded } from '../../explore/encoded.ts';
import { exploreEncodedParallel } from '../../explore/encoded-parallel.ts';
import { createPaxosCommitModel, invariants } from './model.ts';

const symmetry = process.argv.includes('--symmetry');
const before = process.cpuUsage();
const { figures, violations } = process.argv.includes('--workers')
  ? await exploreEncodedParallel({ url: new URL('./model.ts', import.meta.url).href, model: 'createPaxosCommitModel', invariants: 'invariants' }, { symmetry })
  : exploreEncoded(createPaxosCommitModel(), { invariants, symmetry });
const cpu = process.cpuUsage(before);
console.log(
  JSON.stringify({
    figures,
    violations: violations.map((violation) => violation.property.id),
    cpuMs: (cpu.user + cpu.system) / 1000,
    // resourceUsage().maxRSS is in kilobytes: the process's peak, start-up included.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
