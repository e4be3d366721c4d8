import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import { scenarioConfig as failoverScenario } from '../../models/region-failover/machine.ts';
import { sagaScenario, referenceSteps } from '../../models/cross-region-transfer/saga.ts';
import { twoPhaseScenario } from '../../models/cross-region-transfer/two-phase.ts';
import { candidateEvents as breakerEvents, createCircuitBreakerModel, visaConfig } from '../../models/circuit-breaker/machine.ts';
import { candidateEvents as intentEvents, createPaymentIntentModel, scenarioConfig as intentScenario } from '../../models/payment-intent/machine.ts';
import { exploreBreaker, exploreFailover, exploreIntent, exploreSaga, exploreTwoPhase, lifecycleConfigs } from '../../specs/04-high-availability/analysis.ts';
import { atMostOneSuccessfulCharge, captureWithinAuthorised, halfOpenProbesBounded, twoPhaseNeverBlocks } from '../../specs/04-high-availability/invariants.ts';
import { accountsBlock, availabilityOf, component, downtimeMinutesPerYear, parallel, series } from '../../specs/04-high-availability/availability.ts';

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
      componentAvailability: { databaseReplica: 0.99, regionServices: 1, globalRouting: 1 },
      writes: 'home_region_only' as const,
      failover: { fencing: 'epoch_fencing' as const, promotionSeconds: 0, regionFailuresPerYear: 0 },
      oneRegionFailureAffectsPercent: 100,
    };
    expect(availabilityOf(accountsBlock(arch.regions[0]!, arch))).toBeCloseTo(0.99, 12);
  });
});

describe('region failover, exhaustively', () => {
  it('with epoch fencing no account ever has two writers', () => {
    const e = exploreFailover(failoverScenario);
    expect(e.figures.states).toBeGreaterThan(100);
    expect(e.violations).toEqual([]);
  });

  it('without fencing, a region cut off while alive keeps writing after its accounts are promoted elsewhere', () => {
    const e = exploreFailover({ ...failoverScenario, fencing: 'none' });
    expect(e.violations[0]!.trace.steps.map((s) => s.event.type)).toEqual(['REGION_ISOLATED', 'WRITER_PROMOTED']);
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
    const run = exploreSaga(sagaScenario);
    expect(run.exploration.violations).toEqual([]);
    expect(run.stuck).toEqual([]);
    expect(run.ends.unsettled).toEqual([]);
    expect(run.ends.completed.length).toBeGreaterThan(0);
    expect(run.ends.compensated.length).toBeGreaterThan(0);
  });

  it('a saga without the refund leaves money in transit when the EU refuses', () => {
    const run = exploreSaga({ ...sagaScenario, steps: [{ ...referenceSteps[0]!, compensation: null }, referenceSteps[1]!] });
    expect(run.ends.unsettled.length).toBeGreaterThan(0);
  });
});

describe('the circuit breaker', () => {
  it('every property holds in every reachable state and transition', () => {
    const e = exploreBreaker(visaConfig);
    expect(e.figures.states).toBeGreaterThan(100);
    expect(e.violations).toEqual([]);
    expect(new Set(e.snapshots.map((s) => s.value))).toEqual(new Set(['closed', 'open', 'half_open']));
  });

  it('on random runs a half-open breaker never lets more than N probes through', () => {
    const machine = createCircuitBreakerModel(visaConfig);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 150 }), (choices) =>
        randomWalk(machine, breakerEvents, choices).steps.every(({ snapshot }) => halfOpenProbesBounded(visaConfig).holds(snapshot as never)),
      ),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('the PaymentIntent', () => {
  it.each(lifecycleConfigs)('every invariant holds in every reachable state: %s', (_, config) => {
    const e = exploreIntent(config);
    expect(e.violations).toEqual([]);
  });

  it('reaches every one of Stripe’s statuses', () => {
    const values = new Set([...exploreIntent(lifecycleConfigs[0]![1]).snapshots, ...exploreIntent(lifecycleConfigs[1]![1]).snapshots].map((s) => s.value));
    expect(values.size).toBe(7);
  });

  it('with more retries, on random runs, never charges twice or over-captures', () => {
    const config = { ...intentScenario, confirmAttempts: 4, maxPaymentMethods: 3 };
    const machine = createPaymentIntentModel(config);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (choices) =>
        randomWalk(machine, (s) => intentEvents(s, config), choices).steps.every(
          ({ snapshot }) => atMostOneSuccessfulCharge.holds(snapshot) && captureWithinAuthorised.holds(snapshot),
        ),
      ),
      { seed: 4, numRuns: 200 },
    );
  });
});
