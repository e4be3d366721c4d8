/**
 * Chapter 1's scenario figures: the one place each is written. The model's scenario config,
 * the checks, the answer key and the chapter's text all read them from here; a cohort's
 * variant file (tools/variant.ts) may override any of them.
 */
import { scenario } from '../../tools/variant.ts';

export const idempotencyScenario = scenario('01-idempotency', {
  /** The charge, in minor units (cents). */
  amountMinor: 10_000,
  /** The merchant's client gives up waiting for a response after this long. */
  clientTimeoutSeconds: 28,
  /** The client's retry comes this long after its timeout. */
  retryDelaySeconds: 5,
  /** How long the model's API keeps a completed key (Stripe keeps keys at least 24 hours). */
  keyTtlHours: 24,
  /** A key's lock is released this long after it was taken, whether or not its request still runs. */
  lockTimeoutSeconds: 60,
  /** The same, in the explorations of the crash window: short, so that a slow request outlives its lock. */
  crashWindowLockTimeoutSeconds: 30,
  /** The shortest retry window a design may plan for: queued jobs and people retry hours later. */
  minRetryWindowHours: 1,
});
