import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../tools/explore/explore.ts';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import { candidateEvents, createWebhookDeliveryModel, scenarioConfig, type WebhookDeliveryConfig } from '../../models/webhook-delivery/machine.ts';
import { dedupingHandler } from '../../models/webhook-delivery/merchant.ts';
import { duplicateChangesNothing, webhookInvariants } from '../../specs/03-webhooks/invariants.ts';
import { dedupConfig, discardConfig, endings, exploreConfig, lostAckRun, pastDeadlineConfig, replayRun, shrinkingConfig } from '../../specs/03-webhooks/analysis.ts';

const violated = (config: WebhookDeliveryConfig) => exploreConfig(config).violations.map((v) => v.id).sort();

describe('webhook delivery, exhaustively', () => {
  it('with a deduplicating handler every invariant holds in every reachable state, and every run ends delivered or dead-lettered', () => {
    const { exploration, violations } = exploreConfig(dedupConfig);
    expect(exploration.figures.states).toBeGreaterThan(1000);
    expect(violations).toEqual([]);
    expect(Object.keys(endings(exploration)).sort()).toEqual(['dead_lettered', 'delivered']);
  });

  it('with the naive handler a lost acknowledgement leads to a second credit (WEBHOOK-4 fails: the answer to 3.1)', () => {
    const { violations } = exploreConfig(scenarioConfig);
    expect(violations.map((v) => v.id)).toEqual([duplicateChangesNothing.id]);
    const trace = violations[0]!.trace;
    expect(trace).toMatch(/the 200 for attempt 1 is lost/);
    expect(trace).toMatch(/net 20000; receipts sent 2/);
    // The same failure, found directly: breadth-first, so no shorter run double-credits.
    const shortest = explore(createWebhookDeliveryModel(scenarioConfig), { events: candidateEvents, invariants: [duplicateChangesNothing] });
    const steps = shortest.violations[0]!.trace.steps;
    expect(steps.length).toBe(trace.split('\n').filter((line) => /^ *\d+\. /.test(line)).length);
  });

  it('a lost acknowledgement is redelivered, and a dead-lettered event can be replayed to delivery', () => {
    const lost = lostAckRun(dedupConfig)!;
    const replayed = replayRun(dedupConfig)!;
    const { exploration } = exploreConfig(dedupConfig);
    expect(exploration.snapshots[lost]!.context.merchant.receiptsSent).toBe(1);
    expect(exploration.snapshots[replayed]!.context.attempt!.kind).toBe('replay');
  });

  it('a schedule reaching past 72 h violates WEBHOOK-2; a shrinking one WEBHOOK-3; discarding the event WEBHOOK-1 and WEBHOOK-5', () => {
    expect(violated(pastDeadlineConfig)).toEqual(['WEBHOOK-2']);
    expect(violated(shrinkingConfig)).toEqual(['WEBHOOK-3']);
    expect(violated(discardConfig)).toEqual(['WEBHOOK-1', 'WEBHOOK-5']);
  });

  it('without replays, WEBHOOK-5 fails: a dead-lettered event can never reach the merchant', () => {
    expect(violated({ ...dedupConfig, terminalPolicy: { ...dedupConfig.terminalPolicy, allowReplay: false } })).toEqual(['WEBHOOK-5']);
  });
});

describe('webhook delivery, on random runs', () => {
  const configArbitrary = fc
    .record({
      delays: fc.array(fc.integer({ min: 1, max: 3600 }), { minLength: 1, maxLength: 6 }),
      responseTimeoutSeconds: fc.integer({ min: 1, max: 60 }),
      merchantErrors: fc.boolean(),
      merchantSlow: fc.boolean(),
      acksMayBeLost: fc.boolean(),
    })
    .map(({ delays, responseTimeoutSeconds, ...failureModes }) => ({
      ...dedupConfig,
      // Sorted: growing delays, all within the 72 h window.
      retryDelaysSeconds: [...delays].sort((a, b) => a - b),
      responseTimeoutSeconds,
      failureModes,
      handler: dedupingHandler,
    }));

  it('growing delays within the window keep every invariant, whatever the timings and failures', () => {
    fc.assert(
      fc.property(configArbitrary, fc.array(fc.nat(), { maxLength: 80 }), (config, choices) => {
        const trace = randomWalk(createWebhookDeliveryModel(config), candidateEvents, choices);
        for (const { snapshot } of trace.steps) {
          for (const invariant of webhookInvariants) expect(invariant.holds(snapshot), invariant.id).toBe(true);
        }
      }),
      { seed: 2026, numRuns: 200 },
    );
  });
});
