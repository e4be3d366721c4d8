/**
 * Chapter 3's scenario figures: the one place each is written. The model's scenario config,
 * the fleet and endpoint simulations, the checks, the answer key and the chapter's text all
 * read them from here; a cohort's variant file (tools/variant.ts) may override any of them.
 *
 * Facts about Stripe (its 300 s signature tolerance, the 30 days its Events API lists) are not
 * scenario figures: a variant cannot make them otherwise, so they stay where they are cited.
 */
import { scenario } from '../../tools/variant.ts';

export const webhookScenario = scenario('03-webhooks', {
  /** The payment the model delivers, in minor units (cents). */
  paymentAmountMinor: 10_000,
  /** The dispatcher gives up on an attempt with no response after this long. */
  responseTimeoutSeconds: 30,
  /** The delivery window the model's scenario promises (a student's 3.2 answer states its own). */
  promiseHours: 72,
  /**
   * The model's own example schedule when it runs with no 3.2 answer: a first retry after this
   * long, each later one this many times the one before, this many retries. An illustration to
   * explore, not the chapter's answer.
   */
  exampleFirstRetrySeconds: 300,
  exampleBackoffFactor: 2,
  exampleRetries: 8,
  // 3.2's rules for a sound schedule (this design's choices, not Stripe's contract).
  /** The first retry must come within this long, at the largest jitter. */
  firstRetryWithinSeconds: 600,
  /** The largest base delay must be at least this many times the first. */
  minOverallGrowth: 10,
  minRetries: 5,
  maxAttempts: 25,
  /** The shortest delivery window a design may promise. */
  minPromiseHours: 24,
  /** Before jitter, the last retry comes after at least this share of the promise. */
  minCoveragePercent: 50,
  // 3.3's fleet.
  merchants: 10_000,
  workers: 100,
  eventsPerSecond: 50,
  trafficSeconds: 600,
  fleetSeed: 2026,
  /** Healthy merchants' events must be delivered within this, at p99. */
  healthyP99BoundSeconds: 2,
  /** How many of one endpoint's events the dispatcher may hold in memory at once. */
  maxQueuedInMemory: 1_000,
  // 3.4's endpoint over days.
  /** The long outage the endpoint simulation runs. */
  outageDays: 5,
  /** The merchant acts this long after it is told (fixes its server, replays). */
  merchantReactsHours: 24,
});

export type WebhookScenario = typeof webhookScenario;

/** The example schedule's delays, in seconds. */
export const exampleRetryDelaysSeconds = (s: WebhookScenario = webhookScenario): number[] =>
  Array.from({ length: s.exampleRetries }, (_, k) => s.exampleFirstRetrySeconds * s.exampleBackoffFactor ** k);
