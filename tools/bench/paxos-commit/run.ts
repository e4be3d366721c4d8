/**
 * One exploration of Paxos Commit in a process of its own, so that its peak resident memory is
 * its own: prints the figures, the CPU time (user + system) and the peak RSS as JSON.
 *
 *   npx tsx tools/bench/paxos-commit/run.ts [--symmetry]
 */
import { exploreEncoded } from '../../explore/encoded.ts';
import { createPaxosCommitModel, invariants } from './model.ts';

const symmetry = process.argv.includes('--symmetry');
const before = process.cpuUsage();
const { figures, violations } = exploreEncoded(createPaxosCommitModel(), { invariants, symmetry });
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
