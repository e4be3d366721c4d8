import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, type Trace } from '../../tools/explore/explore.ts';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { describeState, describeStep } from '../../models/webhook-delivery/describe.ts';
import {
  candidateEvents,
  createWebhookDeliveryModel,
  scenarioConfig,
  type WebhookContext,
  type WebhookDeliveryConfig,
  type WebhookDeliveryEvent,
} from '../../models/webhook-delivery/machine.ts';
import { dedupingHandler } from '../../models/webhook-delivery/merchant.ts';
import { duplicateChangesNothing, webhookInvariants } from '../../specs/03-webhooks/invariants.ts';
import { dedupConfig, discardConfig, endings, exploreConfig, lostAckRun, pastDeadlineConfig, replayRun, shrinkingConfig } from '../../specs/03-webhooks/analysis.ts';

const violated = (config: WebhookDeliveryConfig) => exploreConfig(config).violations.map((v) => v.id).sort();

/** Each violation as its id and the model's trace in words: a failing test reads as a short story, not as snapshots. */
const violationTraces = (config: WebhookDeliveryConfig) => exploreConfig(config).violations.map((v) => `${v.id}: ${v.statement}\n${v.trace}`);

/** The first invariant a random walk breaks, with the walk up to there in words; undefined if none. */
function firstBrokenOnWalk(trace: Trace<{ context: WebhookContext }, WebhookDeliveryEvent>): string | undefined {
  for (const [i, { snapshot }] of trace.steps.entries()) {
    const broken = webhookInvariants.find((invariant) => !invariant.holds(snapshot));
    if (broken) {
      const walk = formatTrace({ initial: trace.initial, steps: trace.steps.slice(0, i + 1) }, { step: describeStep, state: describeState });
      return `${broken.id}: ${broken.statement}\n${walk}`;
    }
  }
  return undefined;
}

describe('webhook delivery, exhaustively', () => {
  it('with a deduplicating handler every invariant holds in every reachable state, and every run ends delivered or dead-lettered', () => {
    const { exploration } = exploreConfig(dedupConfig);
    expect(exploration.figures.states).toBeGreaterThan(1000);
    expect(violationTraces(dedupConfig)).toEqual([]);
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

  it('a failing check of the model reads as the invariant and a short trace in words, not as snapshots', () => {
    const [text] = violationTraces(pastDeadlineConfig);
    expect(text).toMatch(/^WEBHOOK-2: no automatic attempt starts later than the promised window after the event was created \(72 h\)/);
    expect(text).not.toMatch(/"context"|"status":/);
    expect(text!.split('\n').length).toBeLessThan(80);
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
        const trace = randomWalk(createWebhookDeliveryModel(config), candidateEvents, choices) as Trace<{ context: WebhookContext }, WebhookDeliveryEvent>;
        expect(firstBrokenOnWalk(trace)).toBeUndefined();
      }),
      { seed: 2026, numRuns: 200 },
    );
  });
});
