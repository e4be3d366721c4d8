import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../tools/explore/explore.ts';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { candidateEvents, createIdempotencyModel, scenarioConfig, type IdempotencyConfig } from '../../models/idempotency-store/machine.ts';
import { atMostOneCharge, idempotencyInvariants } from '../../specs/01-idempotency/invariants.ts';
import {
  cardNetworkErrorConfig,
  changedBodyConfig,
  configOfDesign,
  crashRecoveredRun,
  crashWindowRun,
  doubleChargeRun,
  exploreConfig,
  invalidFirstConfig,
  keysOffConfig,
  recoveryConfig,
} from '../../specs/01-idempotency/analysis.ts';
import { keyedRetryCases } from '../../specs/01-idempotency/chapter.ts';

const exhaust = (config: IdempotencyConfig) =>
  explore(createIdempotencyModel(config), { events: candidateEvents, invariants: idempotencyInvariants, stopAtFirstViolation: false });

const eventsOf = (exploration: ReturnType<typeof exploreConfig>, state: number) => exploration.pathTo(state).steps.map((s) => s.event.type);

describe('the idempotency store, exhaustively', () => {
  it.each([
    ['the scenario with keys', scenarioConfig],
    ['a retry with changed parameters', changedBodyConfig],
    ['a first attempt that fails validation', invalidFirstConfig],
    ['card network failures', cardNetworkErrorConfig],
  ])('every invariant holds in every reachable state: %s', (_, config) => {
    const result = exhaust(config);
    expect(result.figures.states).toBeGreaterThan(100);
    // On failure, the violated invariants with their shortest traces, as a student would read them.
    expect(result.violations.map((v) => `${v.property.id}\n${formatTrace(v.trace, { step: describeStep, state: describeState })}`)).toEqual([]);
  });

  it('without keys, a retried charge charges twice (IDEM-1 fails: the answer to 1.1)', () => {
    const result = exhaust(keysOffConfig);
    expect(result.violations.map((v) => v.property.id)).toEqual([atMostOneCharge.id]);
    const trace = result.violations[0]!.trace;
    const last = trace.steps[trace.steps.length - 1]!.snapshot.context;
    expect(last.charges.map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('a concurrent retry meets the lock: some run reaches the key locked and gets 409', () => {
    const result = exploreConfig(scenarioConfig);
    const conflict = result.snapshots.some((s) => s.context.arrivals.some((a) => a.found === 'locked') && s.context.client.result?.status === 409);
    expect(conflict).toBe(true);
  });

  it('a double charge is possible exactly when the TTL is at most the retry window plus the client timeout', () => {
    for (const window of [33, 3600]) {
      const latest = window + scenarioConfig.clientTimeoutSeconds;
      for (const ttl of [window - 1, latest - 1, latest, latest + 1, 10 * latest]) {
        expect(doubleChargeRun(ttl, window).possible, `ttl ${ttl}, window ${window}`).toBe(ttl <= latest);
      }
    }
  });
});

describe('the foreign call: crashes, lock expiry and the downstream key', () => {
  it('with a downstream key, crashes at every point and a lock timing out mid-request never charge twice', () => {
    for (const config of [recoveryConfig, configOfDesign('downstream_key')]) {
      const result = exploreConfig(config);
      expect(result.figures.states).toBeGreaterThan(1000);
      expect(result.violations.map((v) => v.property.id)).toEqual([]);
    }
  });

  it.each(['no_downstream_key', 'own_lock_check'] as const)('%s: the explorer finds the double charge, breadth-first so by a shortest run', (design) => {
    const result = exploreConfig(configOfDesign(design));
    const violation = result.violations.find((v) => v.property.id === atMostOneCharge.id);
    expect(violation).toBeDefined();
    const steps = violation!.trace.steps;
    expect(steps[steps.length - 1]!.snapshot.context.charges).toHaveLength(2);
    // The shortest double charge needs no crash: a lock that expires while attempt 1 still runs.
    const events = steps.map((s) => s.event.type);
    expect(events).toContain('LOCK_TIMES_OUT');
    expect(events).not.toContain('SERVER_CRASHES');
    expect(events.indexOf('LOCK_TIMES_OUT')).toBeLessThan(events.lastIndexOf('API_CALLS_CARD_NETWORK'));
    // No shorter path to a second charge exists.
    const first = explore(createIdempotencyModel(configOfDesign(design)), { events: candidateEvents, invariants: [atMostOneCharge] });
    expect(first.violations[0]!.trace.steps.length).toBe(steps.length);
  });

  it('without a downstream key, a crash between the approval and saving the result leads to a second charge', () => {
    const result = exploreConfig(configOfDesign('no_downstream_key'));
    const run = crashWindowRun(result);
    expect(run).toBeDefined();
    const steps = result.pathTo(run!).steps;
    const crashed = steps.findIndex((s) => s.event.type === 'SERVER_CRASHES');
    expect(crashed).toBeGreaterThan(steps.findIndex((s) => s.snapshot.context.charges.length === 1));
    expect(crashed).toBeLessThan(steps.findIndex((s) => s.snapshot.context.charges.length === 2));
    expect(eventsOf(result, run!).filter((e) => e === 'API_SAVES_RESULT')).toEqual([]);
  });

  it('with a downstream key, the same crash is recovered: the retry resumes and the card network replays charge #1', () => {
    const result = exploreConfig(configOfDesign('downstream_key'));
    const recovered = crashRecoveredRun(result);
    expect(recovered).toBeDefined();
    const steps = result.pathTo(recovered!).steps;
    const events = steps.map((s) => s.event.type);
    expect(events.indexOf('SERVER_CRASHES')).toBeGreaterThan(steps.findIndex((s) => s.snapshot.context.charges.length === 1));
    expect(events.indexOf('SERVER_CRASHES')).toBeLessThan(steps.findIndex((s) => s.event.type === 'API_CALLS_CARD_NETWORK' && s.event.attempt === 2));
  });

  it('a lock that times out does not stop its request: attempt 1 can still call the card network after the retry took the key', () => {
    const result = exploreConfig(configOfDesign('no_downstream_key'));
    const found = result.snapshots.some((s) => s.context.arrivals.some((a) => a.found === 'unlocked') && s.context.processing.some((r) => r.attempt === 1));
    expect(found).toBe(true);
  });
});

describe('Stripe’s result rules in the model', () => {
  const cases = keyedRetryCases();

  it('each case of 1.2 has one outcome over all its runs', () => {
    for (const [name, c] of Object.entries(cases)) {
      expect(c.runs, name).toBeGreaterThan(0);
      expect(c.outcomes, name).toHaveLength(1);
    }
  });

  it('a 500 is saved and replayed', () => {
    expect(cases.afterCardNetworkError.outcomes[0]).toMatchObject({ status: 500, replayed: true, newCharges: 0 });
  });

  it('a validation error saves nothing: the corrected retry under the same key executes', () => {
    const result = exploreConfig(invalidFirstConfig);
    for (const { context } of result.snapshots) {
      if (!context.arrivals.some((a) => a.attempt === 2)) expect(context.store).toEqual({});
    }
    expect(cases.afterValidationError.outcomes[0]).toMatchObject({ status: 200, replayed: false, newCharges: 1, savesResult: true });
  });

  it('a concurrent request gets 409 and leaves the key with the request that holds it', () => {
    const result = exploreConfig(scenarioConfig);
    const conflicts = result.snapshots.filter((s) => s.context.arrivals.some((a) => a.attempt === 2 && a.found === 'locked') && s.context.processing.some((r) => r.attempt === 1));
    expect(conflicts.length).toBeGreaterThan(0);
    for (const { context } of conflicts) {
      const record = Object.values(context.store)[0]!;
      expect(record.status === 'locked' && record.owner === 2).toBe(false);
      expect(record.status === 'completed' && record.savedBy === 2).toBe(false);
    }
    expect(cases.whileFirstInFlight.outcomes[0]).toMatchObject({ status: 409, newCharges: 0, savesResult: false });
  });
});

describe('the idempotency store, on random runs', () => {
  const configArbitrary = fc
    .record({
      clientTimeoutSeconds: fc.integer({ min: 1, max: 60 }),
      retryDelaysSeconds: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 4 }),
      lockTimeoutSeconds: fc.integer({ min: 1, max: 120 }),
      maxCrashes: fc.integer({ min: 0, max: 2 }),
      cardNetworkMayFail: fc.boolean(),
      firstBody: fc.constantFrom('original' as const, 'invalid' as const),
      retryBody: fc.constantFrom('original' as const, 'changed' as const),
    })
    .map((c) => ({
      ...scenarioConfig,
      ...c,
      // Keys outlive every retry: the sum of timeouts and delays, with room to spare.
      ttlSeconds: (c.retryDelaysSeconds.length + 1) * c.clientTimeoutSeconds + c.retryDelaysSeconds.reduce((a, b) => a + b, 0) + 1,
    }));

  it('with a downstream key, a retried charge never charges twice, whatever the timings, crashes and interleavings', () => {
    fc.assert(
      fc.property(configArbitrary, fc.array(fc.nat(), { minLength: 20, maxLength: 80 }), (config, choices) => {
        const trace = randomWalk(createIdempotencyModel(config), candidateEvents, choices);
        for (const { snapshot } of trace.steps) {
          for (const invariant of idempotencyInvariants) expect(invariant.holds(snapshot), invariant.id).toBe(true);
        }
      }),
      { seed: 2026, numRuns: 150 },
    );
  });

  it('without keys, random runs do find the double charge', () => {
    const found = fc.check(
      fc.property(fc.array(fc.nat(), { minLength: 20, maxLength: 60 }), (choices) => {
        const trace = randomWalk(createIdempotencyModel(keysOffConfig), candidateEvents, choices);
        return trace.steps.every(({ snapshot }) => atMostOneCharge.holds(snapshot));
      }),
      { seed: 2026, numRuns: 2000 },
    );
    expect(found.failed).toBe(true);
  });
});
