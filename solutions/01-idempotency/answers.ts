/**
 * Chapter 1 — Idempotency keys: your answers.
 *
 * Replace each `throw new Error('TODO: not answered yet')` with your answer, then run
 * `npm run check -- 1`. The types say what each answer must look like.
 */
import { createHash } from 'node:crypto';
import type {
  KeyedRetryAnswer,
  PaymentOperation,
  RetryWithoutKeysPrediction,
  TtlAnswer,
} from '../../specs/01-idempotency/answer-types.ts';

/** 1.1 — The retry carries no idempotency key. What happens? (The charge is 10000 minor units.) */
export function retryWithoutKeys(): RetryWithoutKeysPrediction {
  // BEGIN SOLUTION
  // The API cannot tell the retry from a new payment: it charges again.
  return { charges: 2, totalChargedMinor: 20_000, merchantSees: 'a new charge' };
  // END SOLUTION
}

/** 1.2 — The retry carries the same Idempotency-Key. What does the server do, and answer? */
export function retryWithKey(): KeyedRetryAnswer {
  // BEGIN SOLUTION
  return {
    steps: ['look_up_key', 'compare_parameters', 'replay_saved_response'],
    response: { status: 200, replayed: true, newCharges: 0 },
    whileFirstInFlight: { status: 409, newCharges: 0 },
    withChangedParameters: { status: 400, newCharges: 0 },
  };
  // END SOLUTION
}

/** 1.3 — How long should keys be kept, and which client retry window must that cover? */
export function keyTtl(): TtlAnswer {
  // BEGIN SOLUTION
  // Retries (including a merchant's queued jobs) stop 12 h after the first attempt; keys
  // live 24 h, as Stripe's do, leaving a 12 h margin for clock skew and late jobs.
  return { ttlHours: 24, retryWindowHours: 12 };
  // END SOLUTION
}

/** 1.4 — The key a client sends for an operation: the same on every retry, unique per operation. */
export function makeIdempotencyKey(operation: PaymentOperation): string {
  // BEGIN SOLUTION
  // What identifies the operation, and nothing that changes between attempts (attempt number,
  // time) or that is personal data (card number, email). Hashed, so that long order ids stay
  // within Stripe's 255 characters and nothing about the order leaks into logs.
  const identity = JSON.stringify([operation.merchantId, operation.action, operation.orderId]);
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return `${operation.action}_${digest}`;
  // END SOLUTION
}
