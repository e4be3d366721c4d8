/**
 * Chapter 1 — Idempotency keys: your answers.
 *
 * Replace each `throw new Error('TODO: not answered yet')` with your answer, then run
 * `npm run check -- 1`. The types say what each answer must look like.
 */
import type {
  KeyedRetryAnswer,
  PaymentOperation,
  RetryWithoutKeysPrediction,
  ScenarioFigures,
  TtlAnswer,
} from '../../specs/01-idempotency/answer-types.ts';

/** 1.1 — The retry carries no idempotency key. What happens? (`scenario`: the figures of the chapter's text.) */
export function retryWithoutKeys(scenario: ScenarioFigures): RetryWithoutKeysPrediction {
  throw new Error('TODO: not answered yet');
}

/** 1.2 — The retry carries the same Idempotency-Key. What does the server do, and answer? */
export function retryWithKey(): KeyedRetryAnswer {
  throw new Error('TODO: not answered yet');
}

/** 1.3 — How long should keys be kept, which client retry window must that cover, and why the margin? */
export function keyTtl(): TtlAnswer {
  throw new Error('TODO: not answered yet');
}

/** 1.4 — The key a client sends for an operation: the same on every retry, one per intended operation. */
export function makeIdempotencyKey(operation: PaymentOperation): string {
  throw new Error('TODO: not answered yet');
}
