import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../tools/explore/explore.ts';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { candidateEvents, createIdempotencyModel, scenarioConfig, type IdempotencyConfig } from '../../models/idempotency-store/machine.ts';
import { atMostOneCharge, idempotencyInvariants } from '../../specs/01-idempotency/invariants.ts';
import { changedBodyConfig, doubleChargeRun, keysOffConfig, recoveryConfig } from '../../specs/01-idempotency/analysis.ts';

const exhaust = (config: IdempotencyConfig) =>
  explore(createIdempotencyModel(config), { events: candidateEvents, invariants: idempotencyInvariants, stopAtFirstViolation: false });

describe('the idempotency store, exhaustively', () => {
  it.each([
    ['the scenario with keys', scenarioConfig],
    ['a retry with changed parameters', changedBodyConfig],
    ['a crash, card network failures and two retries', recoveryConfig],
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
    // Breadth-first: no shorter path reaches a second charge.
    const shallower = explore(createIdempotencyModel(keysOffConfig), { events: candidateEvents, invariants: [atMostOneCharge] });
    expect(shallower.violations[0]!.trace.steps.length).toBe(trace.steps.length);
  });

  it('a concurrent retry meets the lock: some run reaches the key in flight and gets 409', () => {
    const result = exhaust(scenarioConfig);
    const conflict = result.snapshots.some((s) => s.context.arrivals.some((a) => a.found === 'in_flight') && s.context.client.result?.status === 409);
    expect(conflict).toBe(true);
  });

  it('a crash mid-request is recovered: a later attempt charges exactly once', () => {
    const result = exhaust(recoveryConfig);
    const recovered = result.snapshots.some(
      (s) => s.context.crashes === 1 && s.context.charges.length === 1 && s.context.charges[0]!.attempt > 1 && s.context.client.result?.status === 200,
    );
    expect(recovered).toBe(true);
  });

  it('a double charge is possible exactly when the TTL is at most the retry window plus the client timeout', () => {
    for (const window of [33, 600, 3600]) {
      const latest = window + scenarioConfig.clientTimeoutSeconds;
      for (const ttl of [window - 1, latest - 1, latest, latest + 1, 10 * latest]) {
        expect(doubleChargeRun(ttl, window).possible, `ttl ${ttl}, window ${window}`).toBe(ttl <= latest);
      }
    }
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
      retryBody: fc.constantFrom('original' as const, 'changed' as const),
    })
    .map((c) => ({
      ...scenarioConfig,
      ...c,
      // Keys outlive every retry: the sum of timeouts and delays, with room to spare.
      ttlSeconds: (c.retryDelaysSeconds.length + 1) * c.clientTimeoutSeconds + c.retryDelaysSeconds.reduce((a, b) => a + b, 0) + 1,
    }));

  it('a retried charge never charges twice, whatever the timings and interleavings', () => {
    fc.assert(
      fc.property(configArbitrary, fc.array(fc.nat(), { maxLength: 60 }), (config, choices) => {
        const trace = randomWalk(createIdempotencyModel(config), candidateEvents, choices);
        for (const { snapshot } of trace.steps) {
          for (const invariant of idempotencyInvariants) expect(invariant.holds(snapshot), invariant.id).toBe(true);
        }
      }),
      { seed: 2026, numRuns: 300 },
    );
  });

  it('without keys, random runs do find the double charge', () => {
    const found = fc.check(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (choices) => {
        const trace = randomWalk(createIdempotencyModel(keysOffConfig), candidateEvents, choices);
        return trace.steps.every(({ snapshot }) => atMostOneCharge.holds(snapshot));
      }),
      { seed: 2026, numRuns: 2000 },
    );
    expect(found.failed).toBe(true);
  });
});
