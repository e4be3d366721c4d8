/**
 * Chapter 4's answer key, generated: every figure, table, trace and diagram below comes from
 * a run of a model, of the availability calculation or of the reference answers during
 * `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initialTransition, transition } from 'xstate';
import { markdownTable } from '../../tools/render/table.ts';
import { sequenceOfTrace } from '../../tools/render/sequence.ts';
import { projectExploration, renderSvg } from '../../tools/render/state-diagram.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { solutionRegions } from '../../tools/build/stubs.ts';
import type { ChapterKey } from '../../tools/build/chapter-key.ts';
import type { Trace } from '../../tools/explore/explore.ts';
import { scenarioConfig as failoverScenario } from '../../models/region-failover/machine.ts';
import { type SagaEvent, type SagaSnapshot } from '../../models/cross-region-transfer/saga.ts';
import { twoPhaseScenario, type TwoPhaseSnapshot, type TwoPhaseTransferEvent } from '../../models/cross-region-transfer/two-phase.ts';
import { sagaSequence, twoPhaseSequence } from '../../models/cross-region-transfer/describe.ts';
import { createCircuitBreakerModel, letThrough, type CircuitBreakerConfig, type CircuitBreakerEvent } from '../../models/circuit-breaker/machine.ts';
import { statuses, statusOf, terminalStatuses } from '../../models/payment-intent/machine.ts';
import { availabilityReport, downtimeMinutesPerYear, MINUTES_PER_YEAR, percent, TARGET, TARGET_TEXT } from '../../specs/04-high-availability/availability.ts';
import { alwaysFinishes, breakerStepProperties, endsSettled, halfOpenProbesBounded, noAcknowledgedWriteLost, noStrandedHold, oneHoldAtATime, singleWriter, twoPhaseNeverBlocks } from '../../specs/04-high-availability/invariants.ts';
import {
  exploreBreaker,
  exploreFailover,
  exploreTimeoutRecovery,
  exploreIntent,
  exploreSaga,
  exploreTwoPhase,
  failoverConfigFor,
  failoverTrace,
  lifecycleConfigs,
  modelTransitions,
  sagaTraceText,
  twoPhaseTraceText,
  type BreakerSnapshot,
} from '../../specs/04-high-availability/analysis.ts';
import { BREAKER_BOUNDS, BREAKER_WALKS, breakerConfigFor, chapter, MIN_PROMOTION_SECONDS, sagaConfigFor } from '../../specs/04-high-availability/chapter.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { describeRecoveryState, describeRecoveryStep } from '../../models/circuit-breaker/describe.ts';
import type { RecoveryStep } from '../../models/circuit-breaker/timeout-recovery.ts';
import { authorisationOutcomes, type ActiveActiveArchitecture, type BreakerPolicy } from '../../specs/04-high-availability/answer-types.ts';
import * as reference from './answers.ts';
import { highAvailabilityScenario as S } from '../../models/cross-region-transfer/scenario.ts';

const minutes = (m: number) => (m < 1 ? `${(m * 60).toFixed(1)} s` : m < 120 ? `${m.toFixed(2)} min` : `${(m / 60).toFixed(2)} h`);

/** The scenario's design: its largest region the single writer of its share of transactions, no failover region. */
function scenarioDesign(arch: ActiveActiveArchitecture): ActiveActiveArchitecture {
  return {
    ...arch,
    regions: [
      { name: 'largest', shareOfTransactionsPercent: S.largestRegionSharePercent, databaseReplicas: 3, failoverTo: 'largest' },
      { name: 'elsewhere', shareOfTransactionsPercent: 100 - S.largestRegionSharePercent, databaseReplicas: 3, failoverTo: 'elsewhere' },
    ],
  };
}

/** The figures the chapter's text quotes, by name (`<!-- value:NAME -->`), from the scenario and the checks' bounds. */
export function textValues(): Record<string, string> {
  return {
    countWindowMin: String(BREAKER_BOUNDS.countWindowCalls.min),
    countWindowMax: String(BREAKER_BOUNDS.countWindowCalls.max),
    timeWindowMin: String(BREAKER_BOUNDS.timeWindowSeconds.min),
    timeWindowMax: String(BREAKER_BOUNDS.timeWindowSeconds.max),
    minimumCallsMin: String(BREAKER_BOUNDS.minimumCalls.min),
    minimumCallsMax: String(BREAKER_BOUNDS.minimumCalls.max),
    fewestFailuresToOpen: String(BREAKER_BOUNDS.fewestFailuresToOpen),
    waitMin: String(BREAKER_BOUNDS.waitInOpenSeconds.min),
    waitMax: String(BREAKER_BOUNDS.waitInOpenSeconds.max),
    probesMin: String(BREAKER_BOUNDS.halfOpenProbes.min),
    probesMax: String(BREAKER_BOUNDS.halfOpenProbes.max),
    breakerWalks: String(BREAKER_WALKS),
    minPromotionSeconds: String(MIN_PROMOTION_SECONDS),
    annualVolume: `$${S.annualVolumeTrillionsUsd}T`,
    countries: String(S.countries),
    largestRegion: S.largestRegion,
    largestRegionShare: `${S.largestRegionSharePercent} %`,
    target: TARGET_TEXT,
    downtimeBudget: `${downtimeMinutesPerYear(TARGET).toFixed(2)} minutes`,
  };
}

/** Calls a second through the breaker in the outage timeline (a small acquirer's Visa traffic, enough to show the rule). */
export const TIMELINE_CALLS_PER_SECOND = 4;

/**
 * A Visa outage, second by second, through the model: TIMELINE_CALLS_PER_SECOND calls a second
 * to each network at acquirer A; Visa fails from 10 s to 40 s. The timeline keeps each outcome's
 * second, so that it can tell the model which outcome leaves the window, and when.
 */
export function visaOutageTimeline(config: CircuitBreakerConfig, seconds = 70) {
  const machine = createCircuitBreakerModel(config);
  const step = (s: BreakerSnapshot, event: CircuitBreakerEvent) =>
    machine.getTransitionData(s as never, event).length === 0 ? s : (transition(machine, s as never, event)[0] as unknown as BreakerSnapshot);
  const run = () => ({ snapshot: initialTransition(machine)[0] as unknown as BreakerSnapshot, window: [] as { at: number; failed: boolean }[], openedAt: -1 });
  const visa = run();
  const mastercard = run();
  /** One second of one network's traffic; what happened to its calls, in words. */
  const second = (b: ReturnType<typeof run>, t: number, up: boolean) => {
    const outcomes = { through: 0, failed: 0, refused: 0 };
    if (b.snapshot.value === 'open' && t - b.openedAt >= config.waitInOpenSeconds) b.snapshot = step(b.snapshot, { type: 'WAIT_IN_OPEN_ELAPSED' });
    for (let n = 0; n < TIMELINE_CALLS_PER_SECOND; n++) {
      // A time window forgets outcomes older than its size; a count window, the oldest when full.
      const expired = (w: { at: number }) => (config.windowKind === 'seconds' ? t - w.at >= config.windowSize : b.window.length >= config.windowSize);
      while (b.snapshot.value === 'closed' && b.window.length > 0 && expired(b.window[0]!)) {
        b.snapshot = step(b.snapshot, { type: b.window.shift()!.failed ? 'OLDEST_FAILURE_LEAVES_WINDOW' : 'OLDEST_SUCCESS_LEAVES_WINDOW' });
      }
      const before = b.snapshot;
      b.snapshot = step(b.snapshot, { type: 'CALL_REQUESTED' });
      if (!letThrough(before, b.snapshot)) {
        outcomes.refused++;
        continue;
      }
      outcomes.through++;
      if (!up) outcomes.failed++;
      const probe = before.value === 'half_open';
      b.snapshot = step(b.snapshot, { type: probe ? (up ? 'PROBE_SUCCEEDED' : 'PROBE_FAILED') : up ? 'CALL_SUCCEEDED' : 'CALL_FAILED' });
      if (b.snapshot.value === 'closed' && !probe) b.window.push({ at: t, failed: !up });
      if (b.snapshot.value !== before.value) b.window = [];
      if (b.snapshot.value === 'open' && before.value !== 'open') b.openedAt = t;
    }
    return outcomes;
  };
  const rows: { t: number; visaUp: boolean; mode: string; through: number; failed: number; refused: number; window: string; mastercard: string }[] = [];
  for (let t = 0; t < seconds; t++) {
    const visaUp = t < 10 || t >= 40;
    const calls = second(visa, t, visaUp);
    second(mastercard, t, true);
    const c = visa.snapshot.context;
    rows.push({ t, visaUp, mode: String(visa.snapshot.value), ...calls, window: visa.snapshot.value === 'closed' ? `${c.failuresInWindow} of ${c.callsInWindow}` : '', mastercard: String(mastercard.snapshot.value) });
  }
  return rows;
}

export async function buildKey(): Promise<ChapterKey> {
  const answersFile = fileURLToPath(new URL('./answers.ts', import.meta.url));
  const regions = solutionRegions(readFileSync(answersFile, 'utf8'), 'typescript');
  const answers = await chapter.loadAnswers(fileURLToPath(new URL('.', import.meta.url)));
  const reports = [];
  for (const task of chapter.tasks) reports.push(await runTask(chapter, task, answers));

  // 4.1
  const arch = reference.architecture();
  const report = availabilityReport(arch);
  const single = availabilityReport(scenarioDesign(arch));
  const failoverConfig = failoverConfigFor(arch);
  const failover = exploreFailover(failoverConfig);
  // Every replication mode with every kind of fencing, on the scenario's three regions.
  const replications = ['asynchronous', 'synchronous', 'quorum'] as const;
  const fencings = ['none', 'local_epoch', 'lease_unbounded_drift', 'lease_bounded_drift'] as const;
  const failoverRuns = replications.flatMap((replication) =>
    fencings.map((fencing) => {
      const config = { ...failoverScenario, replication, fencing };
      return { name: `${replication}, fencing ${fencing}`, config, exploration: exploreFailover(config) };
    }),
  );
  const runOf = (replication: string, fencing: string) => failoverRuns.find((r) => r.config.replication === replication && r.config.fencing === fencing)!;
  const asyncLoss = runOf('asynchronous', 'lease_bounded_drift');
  const naiveEpoch = runOf('asynchronous', 'local_epoch');
  const unfencedQuorum = runOf('quorum', 'none');
  const verdictOf = (e: (typeof failoverRuns)[number]['exploration'], id: string) => {
    const v = e.violations.find((x) => x.property.id === id);
    return v ? `**violated** (${v.trace.steps.length} steps)` : 'holds';
  };
  const c = arch.componentAvailability;
  // Capacity after a failover: a region carries its own accounts and those of the largest region failing over to it.
  const headroom = arch.regions.map((r) => {
    const incoming = arch.regions.filter((x) => x.failoverTo === r.name);
    const largest = Math.max(0, ...incoming.map((x) => x.shareOfTransactionsPercent));
    return { region: r.name, own: r.shareOfTransactionsPercent, from: incoming.map((x) => x.name).join(', ') || 'none', peak: r.shareOfTransactionsPercent + largest };
  });
  const architectureSvg = await renderSvg({
    title: `Active-active: one writer region per account; each write commits on a majority of its replicas; failover raises the epoch (${failover.figures.states} failover states checked)`,
    nodes: [
      { id: 'routing', label: `global routing\n${percent(c.globalRouting, 4)}`, initial: true },
      { id: 'lease', label: `lease store and failover control plane\n(replicated across regions) ${percent(c.controlPlane, 2)}` },
      ...arch.regions.map((r) => ({ id: r.name, label: `${r.name}\nhome of ${r.shareOfTransactionsPercent} % of transactions\n${r.databaseReplicas} DB replicas × ${percent(c.databaseReplica, 2)}` })),
    ],
    edges: [
      ...arch.regions.map((r) => ({ from: 'routing', to: r.name, label: 'writes of its accounts' })),
      ...arch.regions.map((r) => ({ from: r.name, to: r.failoverTo, label: `${arch.replication} replication; fails over to` })),
      ...arch.regions.map((r) => ({ from: 'lease', to: r.name, label: 'writer epoch' })),
    ],
  });

  // 4.2
  const sagaScenario = sagaConfigFor(reference.crossRegionTransfer());
  const saga = exploreSaga(sagaScenario);
  const twoPhase = exploreTwoPhase(twoPhaseScenario);
  const crashStop = exploreTwoPhase({ ...twoPhaseScenario, coordinatorRecovers: false });
  const replicated = exploreTwoPhase({ ...twoPhaseScenario, coordinator: 'replicated_consensus' });
  // The saga stalled by a partition: the payer debited, the money in US transit, the payee not yet paid.
  const sagaStall = saga.exploration.snapshots.findIndex(
    (s) => s.context.partitioned && s.context.balances.usTransit > 0 && s.context.balances.payee === sagaScenario.initial.payee && s.context.log.phase === 'forward',
  );
  const blocked = twoPhase.exploration.violations.find((v) => v.property.id === twoPhaseNeverBlocks.id)!;
  const sagaCompleted = saga.ends.completed[0]!;
  const sagaCompensated = saga.ends.compensated.find((i) => saga.exploration.pathTo(i).steps.some((s) => s.event.type === 'STEP_REFUSED' ) && saga.exploration.snapshots[i]!.context.outcomes.f0 === 'committed')!;
  const sagaCrash = saga.exploration.terminal.find((i) => saga.exploration.snapshots[i]!.context.crashes === 1 && saga.exploration.snapshots[i]!.context.partitions === 1 && saga.ends.completed.includes(i));
  const sagaSteps = sagaSequence(sagaScenario);
  const sagaDiagram = (i: number) => sequenceOfTrace(saga.exploration.pathTo(i), ['Orchestrator', 'US', 'EU'], (e: SagaEvent, b: SagaSnapshot, a: SagaSnapshot) => sagaSteps(e, b, a));
  const twoPhaseDiagram = (trace: Trace<TwoPhaseSnapshot, TwoPhaseTransferEvent>) => sequenceOfTrace(trace, ['Coordinator', 'US', 'EU'], twoPhaseSequence);
  const stuckForever = crashStop.ends.blocked.length;

  // 4.3
  const policy = reference.breakerPolicy();
  const breakerConfig = breakerConfigFor(policy);
  const breaker = exploreBreaker(breakerConfig);
  const breakerSvg = await renderSvg({
    ...projectExploration(breaker.snapshots, breaker.edges, (s) => String(s.value)),
    nodes: (['closed', 'open', 'half_open'] as const).map((id) => ({ id, initial: id === 'closed' })),
    title: `Circuit breaker (per card network and acquirer): every arrow a transition the explorer took (${breaker.figures.states} states)`,
  });
  // The timeline is a run, not an exploration: its time window holds every call of its seconds.
  const timeline = visaOutageTimeline({ ...breakerConfig, timeWindowCallsExplored: Number.MAX_SAFE_INTEGER });
  const shownRows = timeline.filter((row, i) => i === 0 || row.mode !== timeline[i - 1]!.mode || row.visaUp !== timeline[i - 1]!.visaUp || (row.refused > 0) !== (timeline[i - 1]!.refused > 0));
  const refused = timeline.reduce((n, r) => n + r.refused, 0);
  const failedCalls = timeline.reduce((n, r) => n + r.failed, 0);
  const classes = authorisationOutcomes.map((o) => [`\`${o}\``, reference.classifyOutcome(o)]);
  // The published defaults, explored as the check explores an answer's policy.
  const libraryPolicies: [string, BreakerPolicy][] = [
    ['the reference', policy],
    ['Resilience4j defaults: count window 100, minimumNumberOfCalls 100, 50 %, 10 probes', { ...policy, windowKind: 'calls', windowSize: 100, minimumCalls: 100, failureRateThresholdPercent: 50, waitInOpenSeconds: 60, halfOpenProbes: 10 }],
    ['Hystrix defaults: 10 s, requestVolumeThreshold 20, 50 %, one test request', { ...policy, windowKind: 'seconds', windowSize: 10, minimumCalls: 20, failureRateThresholdPercent: 50, waitInOpenSeconds: 5, halfOpenProbes: 1, halfOpenDecision: 'first_failed_probe_reopens' }],
  ];
  const libraryRuns = libraryPolicies.map(([name, p]) => ({ name, exploration: exploreBreaker(breakerConfigFor(p)) }));
  const recoveryPlans: RecoveryStep[][] = [policy.afterTimeout, ['reroute_to_another_acquirer'], ['reroute_to_another_acquirer', 'reverse_timed_out_authorisation'], ['decline_payment']];
  const recoveries = recoveryPlans.map((plan) => ({ plan, verdict: exploreTimeoutRecovery({ plan }) }));
  const unreversed = recoveries[1]!;
  const unreversedTrace = formatTrace(unreversed.verdict.exploration.pathTo(unreversed.verdict.broken!.state), { step: describeRecoveryStep({ plan: unreversed.plan }), state: describeRecoveryState });
  const breakerProperties = [halfOpenProbesBounded(breakerConfig), ...breakerStepProperties(breakerConfig)];

  // 4.4
  const lifecycle = modelTransitions();
  const intentRuns = lifecycleConfigs.map(([name, config]) => ({ name, config, exploration: exploreIntent(config) }));
  const manual = intentRuns[0]!.exploration;
  const automatic = intentRuns[1]!.exploration;
  const intentSvg = await renderSvg({
    ...projectExploration([...manual.snapshots, ...automatic.snapshots], [...manual.edges, ...automatic.edges.map((e) => ({ ...e, from: e.from + manual.snapshots.length, to: e.to + manual.snapshots.length }))], (s) => statusOf(s)),
    nodes: statuses.map((id) => ({ id, initial: id === 'requires_payment_method', final: terminalStatuses.includes(id) })),
    title: `PaymentIntent statuses: every arrow a transition the explorer took (manual and automatic capture, ${manual.figures.states + automatic.figures.states} states)`,
  });
  const shortest = statuses.map((status) => {
    const runs = [manual, automatic].map((e) => ({ e, i: e.snapshots.findIndex((s) => statusOf(s) === status) })).filter((r) => r.i >= 0);
    const best = runs.sort((a, b) => a.e.pathTo(a.i).steps.length - b.e.pathTo(b.i).steps.length)[0]!;
    const path = best.e.pathTo(best.i).steps.map((s) => s.event.type + ('amountMinor' in s.event ? `(${s.event.amountMinor})` : '') + ('needsAuthentication' in s.event && s.event.needsAuthentication ? '(3DS)' : ''));
    return { status, capture: best.e === manual ? 'manual' : 'automatic', steps: path.length, path: path.join(' → ') || '(start)' };
  });
  const retryRuns = intentRuns.map(({ name, exploration }) => {
    const responses = new Set(exploration.snapshots.flatMap((s) => s.context.results.filter((r) => r.attempt > 1).map((r) => r.response)));
    return { name, states: exploration.figures.states, maxCharges: Math.max(...exploration.snapshots.map((s) => s.context.successfulCharges)), responses: [...responses].sort().join(', '), violations: exploration.violations.map((v) => v.property.id).join(', ') || 'none' };
  });

  const md: string[] = [];
  md.push(
    '# Chapter 4 — High-availability payment processing: answer key',
    '',
    '_Generated by `npm run build` from the models in `models/region-failover/`, `models/cross-region-transfer/`, `models/circuit-breaker/` and `models/payment-intent/`, the availability calculation in `specs/04-high-availability/availability.ts`, and the reference answers in `solutions/04-high-availability/answers.ts`. Do not edit by hand._',
    '',
    `The scenario: $${S.annualVolumeTrillionsUsd}T a year across ${S.countries} countries; a database failure in ${S.largestRegion} would stop ${S.largestRegionSharePercent} % of transactions; the target is ${TARGET_TEXT} availability.`,
    '',
    '## Checks of the reference answers',
    '',
    markdownTable(['task', 'status', 'what the check found'], reports.map((r) => [r.id, r.status.toUpperCase(), r.message])),
    '',
    '## 4.1 — Multi-region active-active',
    '',
    `**Answer.** Partition accounts by home region: each account has exactly one writer region at a time, the region nearest its customers, and the homes are spread so that no region carries more than ${report.blastRadiusPercent} % of transactions (${S.largestRegion} carries ${S.largestRegionSharePercent} % today). Every region is active: it writes its own accounts and holds replicas of others. A write is acknowledged once a majority of the account's replicas hold it (${arch.replication} replication, what a consensus-replicated database such as Spanner or CockroachDB does: DDIA ch. 9), and every replica refuses a writer epoch older than one it has seen. So a region that is cut off but alive, and still believes it is the writer, reaches no majority and acknowledges nothing, while the promoted region catches up from a majority, which holds every acknowledged payment: RPO ${arch.rpoSeconds} s, RTO ${arch.rtoSeconds} s (detection and promotion). During a partition the accounts whose writer is on the other side refuse writes: of consistency and availability, a ledger keeps consistency for those accounts (CAP: Gilbert and Lynch, 2002; DDIA ch. 9. PACELC adds that even without a partition, consistency is paid in latency, here the round trip to another region on every majority write: Abadi, IEEE Computer 2012). Computed from the components below, the design is ${percent(report.overall)} available: ${minutes(downtimeMinutesPerYear(report.overall))} of downtime a year, within the ${minutes(downtimeMinutesPerYear(TARGET))} that ${TARGET_TEXT} allows. A one-region failure stops ${report.blastRadiusPercent} % of transactions (the accounts homed in ${report.worstRegion}) for the ${arch.failover.promotionSeconds} s of promotion, then none. The scenario's design, ${S.largestRegion} alone writing its ${S.largestRegionSharePercent} %, is ${percent(single.perRegion[0]!.accounts)} available for those transactions: ${minutes(downtimeMinutesPerYear(single.perRegion[0]!.accounts))} a year.`,
    '',
    `Availabilities, each with its source: one database replica assumed at ${percent(c.databaseReplica, 2)}, about ${minutes(downtimeMinutesPerYear(c.databaseReplica))} down a year (patching, instance retirement, failures): for scale, a provider commits to no more than this for a single instance (RDS Single-DB Instance SLA, https://aws.amazon.com/rds/sla/; EC2 instance-level SLA, https://aws.amazon.com/compute/sla/), and an SLA is a commitment, not a measurement; a replicated deployment's SLA (RDS Multi-AZ, 99.95 %: https://aws.amazon.com/rds/sla/) is not one replica's availability at all; a region's services at ${percent(c.regionServices, 2)} (EC2 region-level SLA, same page); global routing at ${percent(c.globalRouting, 4)} (Route 53's SLA commits to 100 %: https://aws.amazon.com/route53/sla/; a margin kept); the control plane a failover needs (health checks, lease store, promotion) at ${percent(c.controlPlane, 2)}, counted in series with the failover path: a service is only as available as its critical dependencies (Treynor, Dahlin, Rau, Beyer, "The Calculus of Service Availability", ACM Queue 2017: https://queue.acm.org/detail.cfm?id=3096459). ${arch.failover.regionFailuresPerYear} region failures a year, each costing ${arch.failover.promotionSeconds} s of promotion (assumed). Series: multiply availabilities; parallel: multiply unavailabilities, which assumes independent failures: the replicas of one region share its services, so those are in series with them. A year is ${MINUTES_PER_YEAR} minutes.`,
    '',
    markdownTable(
      ['block', 'composition', 'availability', 'downtime per year'],
      [
        ['database replica', 'component', percent(c.databaseReplica), minutes(downtimeMinutesPerYear(c.databaseReplica))],
        ['region services', 'component', percent(c.regionServices), minutes(downtimeMinutesPerYear(c.regionServices))],
        ['global routing', 'component', percent(c.globalRouting), minutes(downtimeMinutesPerYear(c.globalRouting))],
        ['control plane', 'component, on the failover path', percent(c.controlPlane), minutes(downtimeMinutesPerYear(c.controlPlane))],
        ...report.perRegion.map((r) => [`${r.region} write path`, `services × (${arch.regions.find((x) => x.name === r.region)!.databaseReplicas} replicas in parallel)`, percent(r.writePath), minutes(downtimeMinutesPerYear(r.writePath))]),
        ...report.perRegion.map((r) => [`${r.region} accounts (${r.sharePercent} %)`, `routing × switch-over × (home ∥ control plane × ${arch.regions.find((x) => x.name === r.region)!.failoverTo})`, percent(r.accounts), minutes(downtimeMinutesPerYear(r.accounts))]),
        ['**whole system** (weighted by share)', 'Σ share × accounts', `**${percent(report.overall)}**`, `**${minutes(downtimeMinutesPerYear(report.overall))}**`],
        [`the scenario: ${S.largestRegion} alone writes its ${S.largestRegionSharePercent} %`, 'routing × services × (3 replicas)', percent(single.perRegion[0]!.accounts), minutes(downtimeMinutesPerYear(single.perRegion[0]!.accounts))],
        ['target', '', percent(TARGET), minutes(downtimeMinutesPerYear(TARGET))],
      ],
      ['left', 'left', 'right', 'right'],
    ),
    '',
    '![Architecture](architecture.svg)',
    '',
    `**Capacity after a failover.** A failover region must carry its own accounts and the failed region's at once, so each is provisioned for its peak share below (one region failing at a time). Before adding regions, shrink what one failure takes: cells, independent copies of the whole stack each serving a subset of accounts by a partition key, contain a bad deployment or a poison request to one cell, as regions contain an outage (AWS Well-Architected, REL10-BP03, bulkhead architectures: https://docs.aws.amazon.com/wellarchitected/latest/framework/rel10-bp03.html). Where data must stay in a jurisdiction, pair regions within it: the reference fails eu-west over to eu-central and back, but ap-southeast over to us-west, which a residency requirement on those accounts would rule out.`,
    '',
    markdownTable(
      ['region', 'its own share', 'takes over from', 'peak share after one failure'],
      headroom.map((h) => [h.region, `${h.own} %`, h.from, `${h.peak} %`]),
      ['left', 'right', 'left', 'right'],
    ),
    '',
    `**Single writer and no lost payment, through failover.** The failover model (\`models/region-failover/\`) holds one account with a replica in each of three regions; the lease store that names its writer is itself replicated, reachable only from a side with a majority. Regions fail or are cut off (alive, serving their clients, reaching no one); health checks cannot tell which and promote the failover region; a region acts only on what it sees: its own belief, its own replica, its own view of its lease. ${singleWriter(failoverConfig).id}: “${singleWriter(failoverConfig).statement}”; ${noAcknowledgedWriteLost.id}: “${noAcknowledgedWriteLost.statement}”. Fencing by epoch works only where both writers must go (DDIA ch. 8, "The leader and the lock" and fencing tokens): a majority of replicas, or the synchronous partner; a lease works only if the old holder's clock and pauses are bounded.`,
    '',
    markdownTable(
      ['replication', 'fencing', 'distinct states', singleWriter(failoverConfig).id, noAcknowledgedWriteLost.id],
      failoverRuns.map(({ config, exploration: e }) => [config.replication, config.fencing, e.figures.states, verdictOf(e, singleWriter(failoverConfig).id), verdictOf(e, noAcknowledgedWriteLost.id)]),
      ['left', 'left', 'right', 'left', 'left'],
    ),
    '',
    `The reference descriptor's own config (${failoverConfig.regions.join(', ')}; ${failoverConfig.replication}, ${failoverConfig.fencing}): ${failover.figures.states} states, ${failover.violations.length ? '**violated**' : 'both hold'}.`,
    '',
    'Asynchronous replication loses an acknowledged payment on failover, even with a lease that stops the old writer (the shortest run):',
    '',
    '```text',
    failoverTrace(asyncLoss.config, asyncLoss.exploration, noAcknowledgedWriteLost.id) ?? '(none)',
    '```',
    '',
    'An epoch checked only by the cut-off region’s own replica lets two regions acknowledge writes:',
    '',
    '```text',
    failoverTrace(naiveEpoch.config, naiveEpoch.exploration, singleWriter(failoverConfig).id) ?? '(none)',
    '```',
    '',
    'Quorum writes without an epoch check: the old writer comes back believing it still writes, and finds a majority:',
    '',
    '```text',
    failoverTrace(unfencedQuorum.config, unfencedQuorum.exploration, singleWriter(failoverConfig).id) ?? '(none)',
    '```',
    '',
    '```ts',
    regions[0]!,
    '```',
    '',
    '## 4.2 — Cross-region transactions',
    '',
    `**Answer.** Not two-phase commit with one coordinator: a participant that voted yes holds its lock and may neither commit nor abort until it hears the coordinator's decision, so a coordinator crash after prepare leaves the payer's account locked. The model finds this in ${blocked.trace.steps.length} steps (${twoPhaseNeverBlocks.id}, ${twoPhase.exploration.figures.states} states explored); with a coordinator that never returns, ${stuckForever} of the ${crashStop.exploration.figures.terminal} ways a run can end leave an account locked for good. Two designs survive. (1) A saga of local transactions through transit accounts: the US moves the amount from the payer into US transit; the EU moves it from EU transit to the payee; if the EU refuses, the US refunds the payer from transit. Each region records each step by transfer id, so a resent request is answered from the record, never applied twice. Explored with one orchestrator crash, one partition, and both refusals: ${saga.exploration.figures.states} states, money conserved in all of them, the payee never paid before the payer is debited, no state that cannot finish, and every finished run settled (${saga.ends.completed.length} completed and ${saga.ends.compensated.length} compensated end states, ${saga.ends.unsettled.length} unsettled). (2) Two-phase commit whose coordinator is replicated by consensus across regions (Gray and Lamport, "Consensus on Transaction Commit", ACM TODS 2006; Spanner runs 2PC over Paxos groups: Corbett et al., OSDI 2012): a crash of the coordinator's leader loses no decision, and the model finds no participant waiting on a crashed coordinator in ${replicated.exploration.figures.states} states (${replicated.ends.completed.length} completed, ${replicated.ends.compensated.length} aborted end states). Its price is latency: every decision is itself a consensus write across regions before any participant hears it, and both accounts stay locked through it (DDIA ch. 9).`,
    '',
    `**Neither is immune to a partition.** A saga holds no lock, but a partition after the debit stalls it with the payer already debited and the money in US transit; it finishes only when the link heals. The shortest such run (${sagaStall >= 0 ? saga.exploration.pathTo(sagaStall).steps.length : 0} steps):`,
    '',
    '```text',
    sagaStall >= 0 ? sagaTraceText(sagaScenario, saga.exploration.pathTo(sagaStall)) : '(none)',
    '```',
    '',
    `**Why EU transit ends negative.** Each region's database commits only its own accounts, so the EU pays the payee out of EU transit before any money has physically crossed: EU transit ends at −${sagaScenario.amountMinor} and US transit at +${sagaScenario.amountMinor} (minor units). The pair is a claim between the regions' entities, settled later by netting the transit accounts across all transfers and moving the net amount between them (inter-region settlement).`,
    '',
    `**Sending each step reliably: the outbox.** A region commits a step and must then tell the orchestrator; doing both as two writes loses the message when the process dies between them. The transactional outbox writes the message in the same local transaction as the step, and a relay sends it afterwards, at least once (https://microservices.io/patterns/data/transactional-outbox.html); the receiver deduplicates by transfer id and step, as the model's regions do.`,
    '',
    `**A hold instead of a debit (TCC).** Try–Confirm/Cancel reserves first: the US places a hold on the payer's funds (a pending entry, as in chapter 2's pending → posted holds, or a card authorisation: https://docs.stripe.com/payments/place-a-hold-on-a-payment-method), the EU credits, then the hold is posted; a refusal voids the hold instead of refunding. The payer never sees a debit that is later reversed, and an unconfirmed hold expires. Sagas give no isolation between concurrent transfers (https://microservices.io/patterns/data/saga.html): another payment may see the payer debited by a transfer that is later compensated; a hold narrows that window.`,
    '',
    markdownTable(
      ['protocol', 'config', 'distinct states', 'transitions', 'conserved', twoPhaseNeverBlocks.id, alwaysFinishes.id, endsSettled.id, 'end states: completed / compensated / locked for good'],
      [
        ['2PC', 'coordinator recovers', twoPhase.exploration.figures.states, twoPhase.exploration.figures.transitions, 'holds', '**violated**', twoPhase.stuck.length ? `**${twoPhase.stuck.length} stuck**` : 'holds', twoPhase.ends.unsettled.length + twoPhase.ends.blocked.length ? '**violated**' : 'holds', `${twoPhase.ends.completed.length} / ${twoPhase.ends.compensated.length} / ${twoPhase.ends.blocked.length}`],
        ['2PC', 'coordinator lost for good', crashStop.exploration.figures.states, crashStop.exploration.figures.transitions, 'holds', '**violated**', crashStop.stuck.length ? `**${crashStop.stuck.length} stuck**` : 'holds', crashStop.ends.unsettled.length + crashStop.ends.blocked.length ? '**violated**' : 'holds', `${crashStop.ends.completed.length} / ${crashStop.ends.compensated.length} / ${crashStop.ends.blocked.length}`],
        ['2PC', 'coordinator replicated by consensus', replicated.exploration.figures.states, replicated.exploration.figures.transitions, replicated.exploration.violations.some((v) => v.property.id === 'XFER-CONSERVED') ? '**violated**' : 'holds', replicated.exploration.violations.some((v) => v.property.id === twoPhaseNeverBlocks.id) ? '**violated**' : 'holds', replicated.stuck.length ? `**${replicated.stuck.length} stuck**` : 'holds', replicated.ends.unsettled.length + replicated.ends.blocked.length ? '**violated**' : 'holds', `${replicated.ends.completed.length} / ${replicated.ends.compensated.length} / ${replicated.ends.blocked.length}`],
        ['saga', 'reference steps', saga.exploration.figures.states, saga.exploration.figures.transitions, saga.exploration.violations.length ? '**violated**' : 'holds', 'holds (no lock across steps)', saga.stuck.length ? '**stuck**' : 'holds', saga.ends.unsettled.length ? '**violated**' : 'holds', `${saga.ends.completed.length} / ${saga.ends.compensated.length} / 0`],
      ],
    ),
    '',
    `The 2PC counterexample: the coordinator crashes after the US prepared.`,
    '',
    twoPhaseDiagram(blocked.trace),
    '',
    '```text',
    twoPhaseTraceText(blocked.trace),
    '```',
    '',
    'The saga, completed:',
    '',
    sagaDiagram(sagaCompleted),
    '',
    'The saga, compensated (the EU refuses the credit; the payer is refunded from transit):',
    '',
    sagaDiagram(sagaCompensated),
    '',
    ...(sagaCrash === undefined
      ? []
      : ['The saga through an orchestrator crash and a partition, still completed exactly once:', '', '```text', sagaTraceText(sagaScenario, saga.exploration.pathTo(sagaCrash)), '```', '']),
    '```ts',
    regions[1]!,
    '```',
    '',
    '## 4.3 — Circuit breaker for card network calls',
    '',
    `**What counts as a failure.** A card network call ends in one of three ways: the issuer approves, the issuer declines (ISO 8583 field 39 response codes such as 05 do not honour, 51 insufficient funds, 54 expired card: https://developers.mypos.com/en/doc/online_payments/v1_4/229-response-codes; Stripe reports them as decline codes: https://docs.stripe.com/declines/codes), or the request never gets a usable answer (a timeout, an HTTP 5xx from the acquirer's gateway, a refused or reset connection). A decline is the network working: the issuer's answer came back. A breaker that counted declines would open on a day of many declines and refuse payments through a healthy network; the reference counts declines as successes (leaving them out of the window, as Resilience4j's ignoreExceptions does, is as defensible: https://resilience4j.readme.io/docs/circuitbreaker).`,
    '',
    markdownTable(['outcome', 'the breaker counts it as'], classes),
    '',
    `**What one breaker guards.** One breaker per ${policy.scope.join(' and ')}: a network's payments reach it through several acquirers, and an outage is often one acquirer's link to one network. A breaker per network alone either opens for every acquirer when one fails, or never opens because the healthy ones dilute the failures; per acquirer alone, a Visa outage would stop Mastercard payments too.`,
    '',
    `**When it opens.** Over a ${policy.windowKind === 'seconds' ? `time window of the last ${policy.windowSize} s` : `count window of the last ${policy.windowSize} calls`}, once it holds at least ${policy.minimumCalls} outcomes, a failure rate of ${policy.failureRateThresholdPercent} % or more opens the breaker: the rule of Hystrix (errorThresholdPercentage over a rolling window, with requestVolumeThreshold: https://github.com/Netflix/Hystrix/wiki/Configuration) and of Resilience4j (failureRateThreshold, minimumNumberOfCalls, slidingWindowType). A window of 5 calls, the textbook breaker, judges a network on a handful of calls: at card traffic volumes that is a moment, and a rate over it swings between 0 and 100 % on noise. Open, it refuses every call for ${policy.waitInOpenSeconds} s; then ${policy.halfOpenProbes} probe(s) go through and ${policy.halfOpenDecision === 'failure_rate_after_all_probes' ? 'their failure rate, once all have answered, closes or reopens it (Resilience4j\'s half-open state)' : 'the first failed probe reopens it'}.`,
    '',
    `**How the check stays exhaustive.** The model keeps two counts, the calls and the failures in the window, not the calls themselves: the rule reads nothing else. The explorer then covers every window a policy allows (an outcome may leave a time window whenever its time runs out, so every order of expiry is explored), and every one of its transitions is put to the student's \`breakerStep\`:`,
    '',
    markdownTable(
      ['policy', 'distinct states', 'transitions', 'properties violated'],
      libraryRuns.map((r) => [r.name, r.exploration.figures.states, r.exploration.edges.length, r.exploration.violations.map((v) => v.property.id).join(', ') || 'none']),
      ['left', 'right', 'right', 'left'],
    ),
    '',
    markdownTable(
      ['id', 'statement', 'result'],
      breakerProperties.map((p) => [p.id, p.statement, breaker.violations.some((v) => v.property.id === p.id) ? '**violated**' : `holds in ${breaker.figures.states} states`]),
    ),
    '',
    '![Circuit breaker](circuit-breaker.svg)',
    '',
    `**After a timeout.** A timed-out authorisation may have been approved by the issuer with only the answer lost, so the funds may already be held. Processors offer a reversal for exactly this case (Cybersource, "Timeout Authorization Reversals": https://developer.cybersource.com/docs/cybs/en-us/payments/developer/ctv/so/payments/payments-processing-basic-intro/payments-timeout-auth-reversals-intro.html). Rerouting to another acquirer without it can leave two approvals holding the cardholder's money. Each plan below is run against both fates of the lost request and both answers of the second acquirer:`,
    '',
    markdownTable(
      ['plan after a timeout', 'states', 'verdict'],
      recoveries.map((r) => [r.plan.join(' → ') || '(nothing)', r.verdict.exploration.figures.states, r.verdict.broken ? `breaks ${r.verdict.broken.property.id}` : `${oneHoldAtATime.id} and ${noStrandedHold.id} hold`]),
      ['left', 'right', 'left'],
    ),
    '',
    'Rerouting without a reversal, the shortest run to two holds:',
    '',
    '```text',
    unreversedTrace,
    '```',
    '',
    `A Visa outage at acquirer A, run through the model: ${TIMELINE_CALLS_PER_SECOND} calls a second to each network; Visa fails from 10 s to 40 s. Rows where something changes; in ${timeline.length} s, ${failedCalls} Visa calls reached the failing network and ${refused} were refused fast (and could be routed to another acquirer once the timed-out ones are reversed). Mastercard's breaker stays closed throughout.`,
    '',
    markdownTable(
      ['t (s)', 'Visa', 'calls through', 'failed', 'refused', 'Visa breaker after', 'failed of calls in window', 'Mastercard breaker'],
      shownRows.map((r) => [r.t, r.visaUp ? 'up' : '**down**', r.through, r.failed, r.refused, r.mode, r.window, r.mastercard]),
      ['right', 'left', 'right', 'right', 'right', 'left', 'right', 'left'],
    ),
    '',
    '```ts',
    regions[2]!,
    '',
    regions[3]!,
    '',
    regions[4]!,
    '```',
    '',
    '## 4.4 — Stripe\'s PaymentIntent',
    '',
    `**Answer.** A PaymentIntent is one object per payment whose status says what it needs next (https://docs.stripe.com/payments/paymentintents/lifecycle): \`requires_payment_method\` → \`requires_confirmation\` → (\`requires_action\` for 3-D Secure) → \`processing\` → \`requires_capture\` (manual capture) or \`succeeded\`; a confirm may also supply the payment method itself and go straight from \`requires_payment_method\` (the \`payment_method\` parameter of confirm: https://docs.stripe.com/api/payment_intents/confirm); a decline returns it to \`requires_payment_method\`; \`canceled\` and \`succeeded\` are final. The model's \`processing\` is the authorisation request in flight, the window a retried confirm can arrive in; Stripe's lifecycle page says a card is processed quickly and usually does not show \`processing\` (bank debits stay in it for days), and that a capture passes through \`processing\` on its way to \`succeeded\` (same page): the model folds that capture into one step, since no retry hazard lives in it. It improves retry safety because a confirm executes only while the intent waits for one: a retried confirm finds the intent already processing or done and cannot charge again; sent with the same idempotency key (https://docs.stripe.com/api/idempotent_requests) it gets the first response replayed. In every state of the models, an intent has at most one successful charge, terminal statuses absorb, and capture never exceeds the authorised amount. A new key on each retry is not as safe: the model finds a stale retry that confirms the *next* card after a decline.`,
    '',
    `**One intent per order: what closes chapter 1.3's open end.** An idempotency key protects a retry only while the key is kept: Stripe may remove keys once they are 24 hours old (https://docs.stripe.com/idempotency), so a client that retries days later (a queue drained after an outage, a customer pressing pay again) is no longer recognised by its key. The durable handle is the PaymentIntent itself: create one per order and store its id on the order, and every later attempt, whatever its key, acts on the same intent, whose status allows one successful charge. A retry that creates a new intent instead has nothing tying it to the first: two intents for one order can end with ${2 * Math.max(...retryRuns.map((r) => r.maxCharges))} successful charges.`,
    '',
    `**Why PaymentIntents replaced Charges.** A charge was one synchronous call; a card payment under Strong Customer Authentication may need the customer to authenticate (3-D Secure) between the confirm and the authorisation. The Payment Intents API tracks that lifecycle and triggers the extra authentication step (https://docs.stripe.com/payments/payment-intents/migration/charges): an intent in \`requires_action\` carries \`next_action\`, what the customer must do next (https://docs.stripe.com/api/payment_intents/object). The browser completes it with the intent's \`client_secret\`, which lets the client confirm and read that one intent and is kept between the server and that customer (same reference).`,
    '',
    `**The source of truth for completion.** Authentication, and some payment methods, finish after the confirm returned, and the customer's browser may never come back to report it. The server learns the outcome from the intent: webhook events such as \`payment_intent.succeeded\` and \`payment_intent.payment_failed\` (https://docs.stripe.com/payments/payment-intents/verifying-status), handled idempotently by event id as in chapter 3, then fulfils the order found by the intent id it stored.`,
    '',
    markdownTable(
      ['config', 'distinct states', 'most successful charges', 'what confirm retries got', 'invariants violated'],
      retryRuns.map((r) => [r.name, r.states, r.maxCharges, r.responses, r.violations]),
      ['left', 'right', 'right', 'left', 'left'],
    ),
    '',
    '![PaymentIntent lifecycle](payment-intent.svg)',
    '',
    'A shortest path to every status:',
    '',
    markdownTable(['status', 'capture', 'steps', 'path'], shortest.map((s) => [`\`${s.status}\``, s.capture, s.steps, s.path]), ['left', 'left', 'right', 'left']),
    '',
    `The ${lifecycle.transitions.length} status changes the model makes (${lifecycle.states} states over ${lifecycleConfigs.length} configs):`,
    '',
    '```ts',
    regions[5]!,
    '',
    regions[6]!,
    '```',
    '',
  );

  const figuresOf = (rows: { name: string; exploration: { figures: { states: number; transitions: number; depth: number }; violations: { property: { id: string } }[] } }[]) =>
    markdownTable(['config', 'distinct states', 'transitions', 'depth', 'invariants violated'], rows.map(({ name, exploration: e }) => [name, e.figures.states, e.figures.transitions, e.figures.depth, e.violations.map((v) => v.property.id).join(', ') || 'none']));
  const totalStates = failoverRuns.reduce((n, r) => n + r.exploration.figures.states, 0) + saga.exploration.figures.states + twoPhase.exploration.figures.states + crashStop.exploration.figures.states + breaker.figures.states + intentRuns.reduce((n, r) => n + r.exploration.figures.states, 0);
  return {
    markdown: md.join('\n'),
    files: { 'architecture.svg': architectureSvg, 'circuit-breaker.svg': breakerSvg, 'payment-intent.svg': intentSvg },
    modelFigures: {
      'region-failover': figuresOf(failoverRuns),
      'cross-region-transfer': figuresOf([
        { name: 'saga, reference steps (1 crash, 1 partition, refusals)', exploration: saga.exploration },
        { name: '2PC, coordinator recovers', exploration: twoPhase.exploration },
        { name: '2PC, coordinator lost for good', exploration: crashStop.exploration },
      ]),
      'circuit-breaker': figuresOf(libraryRuns.map((r) => ({ name: r.name, exploration: r.exploration }))),
      'payment-intent': figuresOf(intentRuns),
    },
    textValues: textValues(),
    summary: `4 tasks; availability ${percent(report.overall)} computed; 2PC blocking found in ${blocked.trace.steps.length} steps; ${totalStates} states over ${failoverRuns.length + 3 + 1 + intentRuns.length} configs; reference answers ${reports.filter((r) => r.status === 'pass').length}/${reports.length} pass`,
  };
}
