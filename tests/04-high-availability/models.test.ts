import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import type { Trace, Violation } from '../../tools/explore/explore.ts';
import { formatTrace, type TraceFormat } from '../../tools/render/trace.ts';
import { describeFailoverState, describeFailoverStep } from '../../models/region-failover/describe.ts';
import { describeBreakerState, describeBreakerStep } from '../../models/circuit-breaker/describe.ts';
import { describeIntentState, describeIntentStep } from '../../models/payment-intent/describe.ts';
import { describeSagaState, describeSagaStep } from '../../models/cross-region-transfer/describe.ts';
import { scenarioConfig as failoverScenario, type Replication, type WriterFencing } from '../../models/region-failover/machine.ts';
import { sagaConfig, uncompensatedPlan } from '../../models/cross-region-transfer/saga.ts';
import { crossRegionTransfer } from '../../solutions/04-high-availability/answers.ts';
import { twoPhaseScenario } from '../../models/cross-region-transfer/two-phase.ts';
import { candidateEvents as breakerEvents, createCircuitBreakerModel, exampleBreakerConfig } from '../../models/circuit-breaker/machine.ts';
import { candidateEvents as intentEvents, createPaymentIntentModel, scenarioConfig as intentScenario } from '../../models/payment-intent/machine.ts';
import { exploreBreaker, exploreFailover, exploreTimeoutRecovery, exploreIntent, exploreSaga, exploreTwoPhase, lifecycleConfigs } from '../../specs/04-high-availability/analysis.ts';
import { atMostOneSuccessfulCharge, captureWithinAuthorised, halfOpenProbesBounded, twoPhaseNeverBlocks } from '../../specs/04-high-availability/invariants.ts';
import { accountsBlock, availabilityOf, component, downtimeMinutesPerYear, parallel, series } from '../../specs/04-high-availability/availability.ts';

/**
 * Each violation as its invariant and the model's trace in words, so that a failing test reads
 * as a short story instead of hundreds of lines of snapshots.
 */
function violationTraces<S, E>(violations: readonly Violation<S, E>[], format: TraceFormat<S, E>): string[] {
  return violations.map((v) => `${v.property.id}: ${v.property.statement}\n${formatTrace(v.trace, format)}`);
}

/** The first step of a random walk where `holds` fails, with the walk up to there in words; undefined if none. */
function firstBrokenOnWalk<S, E>(trace: Trace<S, E>, holds: (snapshot: S) => boolean, format: TraceFormat<S, E>): string | undefined {
  const i = trace.steps.findIndex(({ snapshot }) => !holds(snapshot));
  return i < 0 ? undefined : formatTrace({ initial: trace.initial, steps: trace.steps.slice(0, i + 1) }, format);
}

const failoverFormat = { step: describeFailoverStep(failoverScenario), state: describeFailoverState(failoverScenario) };
const breakerFormat = { step: describeBreakerStep, state: describeBreakerState };
const intentFormat = { step: describeIntentStep, state: describeIntentState };

describe('the availability calculation', () => {
  it('series multiplies availabilities and parallel multiplies unavailabilities', () => {
    expect(availabilityOf(series('s', component('a', 0.99), component('b', 0.9)))).toBeCloseTo(0.891, 12);
    expect(availabilityOf(parallel('p', component('a', 0.99), component('b', 0.9)))).toBeCloseTo(0.999, 12);
    expect(availabilityOf(parallel('p', component('a', 0.5)))).toBe(0.5);
  });

  it('five nines is about 5.26 minutes of downtime a year', () => {
    expect(downtimeMinutesPerYear(0.99999)).toBeCloseTo(5.2596, 3);
  });

  it('a region that fails over to itself gets no parallel path', () => {
    const arch = {
      regions: [{ name: 'us-east', shareOfTransactionsPercent: 100, databaseReplicas: 1, failoverTo: 'us-east' }],
      componentAvailability: { databaseReplica: 0.99, regionServices: 1, globalRouting: 1, controlPlane: 1 },
      availabilitySources: {},
      writes: 'home_region_only' as const,
      replication: 'quorum' as const,
      failover: { fencing: 'local_epoch' as const, promotionSeconds: 0, regionFailuresPerYear: 0 },
      rpoSeconds: 0,
      rtoSeconds: 0,
      duringPartition: 'refuse_writes_for_affected_accounts' as const,
      oneRegionFailureAffectsPercent: 100,
    };
    expect(availabilityOf(accountsBlock(arch.regions[0]!, arch))).toBeCloseTo(0.99, 12);
  });
});

describe('region failover with replication, exhaustively', () => {
  const run = (replication: Replication, fencing: WriterFencing) => exploreFailover({ ...failoverScenario, replication, fencing });
  const ids = (replication: Replication, fencing: WriterFencing) => run(replication, fencing).violations.map((v) => v.property.id).sort();

  it('quorum writes with epochs checked by the replicas keep one writer and lose no acknowledged payment', () => {
    const e = run('quorum', 'local_epoch');
    expect(e.figures.states).toBeGreaterThan(50);
    expect(violationTraces(e.violations, failoverFormat)).toEqual([]);
  });

  it('asynchronous replication loses an acknowledged payment on failover, in three steps', () => {
    const e = run('asynchronous', 'lease_bounded_drift');
    const loss = e.violations.find((v) => v.property.id === 'HA-NO-LOSS')!;
    expect(loss.trace.steps.map((s) => s.event.type)).toEqual(['REGION_CUT_OFF', 'WRITE_ACKNOWLEDGED', 'HOLDER_SEES_LEASE_EXPIRE', 'FAILOVER_REGION_PROMOTED']);
    const plainAsync = run('asynchronous', 'local_epoch').violations.find((v) => v.property.id === 'HA-NO-LOSS')!;
    expect(plainAsync.trace.steps.length).toBe(3);
  });

  it('an epoch checked only by the cut-off region’s own replica lets two regions acknowledge writes', () => {
    const e = run('asynchronous', 'local_epoch');
    expect(e.violations.find((v) => v.property.id === 'HA-SINGLE-WRITER')!.trace.steps.map((s) => s.event.type)).toEqual(['REGION_CUT_OFF', 'FAILOVER_REGION_PROMOTED']);
  });

  it('a lease keeps one writer only if the holder’s clock drift is bounded', () => {
    expect(ids('asynchronous', 'lease_unbounded_drift')).toContain('HA-SINGLE-WRITER');
    expect(ids('asynchronous', 'lease_bounded_drift')).toEqual(['HA-NO-LOSS']);
  });

  it.each([
    ['synchronous', 'local_epoch'],
    ['synchronous', 'lease_bounded_drift'],
    ['quorum', 'lease_bounded_drift'],
  ] as const)('%s replication with %s fencing holds both', (replication, fencing) => {
    expect(ids(replication, fencing)).toEqual([]);
  });

  it('without an epoch check, even quorum writes get two writers when the old one comes back', () => {
    const v = run('quorum', 'none').violations.find((x) => x.property.id === 'HA-SINGLE-WRITER')!;
    expect(v.trace.steps.map((s) => s.event.type)).toEqual(['REGION_FAILS', 'FAILOVER_REGION_PROMOTED', 'REGION_RECOVERS']);
  });

  it('a violation reads as the invariant and a few lines of trace in words, not as snapshots', () => {
    const config = { ...failoverScenario, replication: 'asynchronous' as const };
    const [text] = violationTraces(exploreFailover(config).violations, { step: describeFailoverStep(config), state: describeFailoverState(config) });
    expect(text).toMatch(/^HA-SINGLE-WRITER: at most one region can acknowledge/);
    expect(text).toMatch(/is cut off from the other regions[\s\S]*promotes us-west[\s\S]*can acknowledge: us-east \+ us-west/);
    expect(text).not.toMatch(/"context"|"believes"/);
    expect(text!.split('\n').length).toBeLessThan(10);
  });
});

describe('the cross-region transfer, exhaustively', () => {
  it('2PC conserves money but blocks: the coordinator crashes after the US prepared, and the US holds its lock', () => {
    const run = exploreTwoPhase(twoPhaseScenario);
    const ids = run.exploration.violations.map((v) => v.property.id);
    expect(ids).toEqual([twoPhaseNeverBlocks.id]);
    const trace = run.exploration.violations[0]!.trace;
    expect(trace.steps.map((s) => s.event.type)).toEqual(['PREPARE_SENT', 'PARTICIPANT_PREPARES', 'COORDINATOR_CRASHES']);
    const last = trace.steps.at(-1)!.snapshot.context;
    expect(last).toMatchObject({ participants: { us: 'prepared' }, locked: { us: true }, coordinator: { up: false } });
  });

  it('2PC with a coordinator lost for good has runs that end with an account locked for good', () => {
    expect(exploreTwoPhase({ ...twoPhaseScenario, coordinatorRecovers: false }).ends.blocked.length).toBeGreaterThan(0);
    expect(exploreTwoPhase(twoPhaseScenario).ends.blocked).toEqual([]);
  });

  it('the saga conserves money, never blocks, and every run ends completed or compensated', () => {
    const reference = sagaConfig(crossRegionTransfer().steps);
    const run = exploreSaga(reference);
    expect(violationTraces(run.exploration.violations, { step: describeSagaStep(reference), state: describeSagaState })).toEqual([]);
    expect(run.stuck).toEqual([]);
    expect(run.ends.unsettled).toEqual([]);
    expect(run.ends.completed.length).toBeGreaterThan(0);
    expect(run.ends.compensated.length).toBeGreaterThan(0);
  });

  it('a saga without the refund leaves money in transit when the EU refuses', () => {
    const run = exploreSaga(sagaConfig(uncompensatedPlan));
    expect(run.ends.unsettled.length).toBeGreaterThan(0);
  });
});

describe('the circuit breaker', () => {
  it('every property holds in every reachable state and transition', () => {
    const e = exploreBreaker(exampleBreakerConfig);
    expect(e.figures.states).toBeGreaterThan(100);
    expect(violationTraces(e.violations, breakerFormat)).toEqual([]);
    expect(new Set(e.snapshots.map((s) => s.value))).toEqual(new Set(['closed', 'open', 'half_open']));
  });

  it('on random runs a half-open breaker never lets more than N probes through', () => {
    const machine = createCircuitBreakerModel(exampleBreakerConfig);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 150 }), (choices) => {
        const walk = randomWalk(machine, breakerEvents, choices) as never;
        expect(firstBrokenOnWalk(walk, (snapshot) => halfOpenProbesBounded(exampleBreakerConfig).holds(snapshot), breakerFormat)).toBeUndefined();
      }),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('the recovery after a timed-out authorisation', () => {
  it('reversing before rerouting keeps one hold at most and none on an unpaid payment, over both fates and both answers', () => {
    const run = exploreTimeoutRecovery({ plan: ['reverse_timed_out_authorisation', 'reroute_to_another_acquirer'] });
    expect(run.broken).toBeUndefined();
    const ends = run.exploration.terminal.map((i) => run.exploration.snapshots[i]!.context);
    expect(new Set(ends.map((c) => `${c.firstAuthorisation}/${c.answer}`))).toEqual(new Set(['approved/paid', 'approved/none', 'not_approved/paid', 'not_approved/none']));
  });

  it('rerouting without a reversal holds the card twice, in three steps', () => {
    const run = exploreTimeoutRecovery({ plan: ['reroute_to_another_acquirer'] });
    expect(run.broken?.property.id).toBe('CB-ONE-HOLD');
    const path = run.exploration.pathTo(run.broken!.state);
    expect(path.steps.map((s) => s.event.type)).toEqual(['ISSUER_HAD_APPROVED', 'RUN_NEXT_STEP', 'ACQUIRER_B_APPROVES']);
  });

  it('declining without a reversal leaves the approval holding the funds', () => {
    expect(exploreTimeoutRecovery({ plan: ['decline_payment'] }).broken?.property.id).toBe('CB-NO-STRANDED-HOLD');
  });
});

describe('the circuit breaker’s window abstraction', () => {
  it('a count window drops an outcome only when full; a time window whenever it holds one', () => {
    const count = exploreBreaker({ ...exampleBreakerConfig, windowKind: 'calls', windowSize: 12, minimumCalls: 10 });
    const leaves = (e: typeof count) => e.edges.filter((edge) => edge.eventType.startsWith('OLDEST_')).map((edge) => e.snapshots[edge.from]!.context.callsInWindow);
    expect(new Set(leaves(count))).toEqual(new Set([12]));
    const time = exploreBreaker(exampleBreakerConfig);
    expect(Math.min(...leaves(time))).toBe(1);
  });

  it('the breaker opens on the outcome that brings the window to the minimum volume at the threshold rate, not before', () => {
    const e = exploreBreaker(exampleBreakerConfig);
    const opening = e.edges.filter((edge) => e.snapshots[edge.from]!.value === 'closed' && e.snapshots[edge.to]!.value === 'open').map((edge) => e.snapshots[edge.from]!.context);
    expect(Math.min(...opening.map((c) => c.callsInWindow + 1))).toBe(exampleBreakerConfig.minimumCalls);
    expect(opening.every((c) => c.callsInWindow + 1 >= exampleBreakerConfig.minimumCalls)).toBe(true);
  });
});

describe('the PaymentIntent', () => {
  it.each(lifecycleConfigs)('every invariant holds in every reachable state: %s', (_, config) => {
    const e = exploreIntent(config);
    expect(violationTraces(e.violations, intentFormat)).toEqual([]);
  });

  it('reaches every one of Stripe’s statuses', () => {
    const values = new Set([...exploreIntent(lifecycleConfigs[0]![1]).snapshots, ...exploreIntent(lifecycleConfigs[1]![1]).snapshots].map((s) => s.value));
    expect(values.size).toBe(7);
  });

  it('with more retries, on random runs, never charges twice or over-captures', () => {
    const config = { ...intentScenario, confirmAttempts: 4, maxPaymentMethods: 3 };
    const machine = createPaymentIntentModel(config);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (choices) => {
        const walk = randomWalk(machine, (s) => intentEvents(s, config), choices) as never;
        const holds = (snapshot: Parameters<typeof atMostOneSuccessfulCharge.holds>[0]) => atMostOneSuccessfulCharge.holds(snapshot) && captureWithinAuthorised.holds(snapshot);
        expect(firstBrokenOnWalk(walk, holds, intentFormat)).toBeUndefined();
      }),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('the models carry no answer', () => {
  it('the breaker model’s example config and the saga model’s example plan are not the reference answers', async () => {
    const { breakerPolicy } = await import('../../solutions/04-high-availability/answers.ts');
    const { breakerConfigFor } = await import('../../specs/04-high-availability/chapter.ts');
    const reference = breakerConfigFor(breakerPolicy());
    const differing = (['windowKind', 'windowSize', 'minimumCalls', 'failureRateThresholdPercent', 'halfOpenProbes', 'halfOpenDecision', 'waitInOpenSeconds'] as const).filter((k) => exampleBreakerConfig[k] !== reference[k]);
    expect(differing.length).toBeGreaterThanOrEqual(5);
    expect(uncompensatedPlan).not.toEqual(crossRegionTransfer().steps);
    // The example plan is one the model refutes, not a second right answer.
    expect(exploreSaga(sagaConfig(uncompensatedPlan)).ends.unsettled.length).toBeGreaterThan(0);
  });
});
