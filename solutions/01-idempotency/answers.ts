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
  // BEGIN SOLUTION
  // The API cannot tell the retry from a new payment: it charges again.
  return { charges: 2, totalChargedMinor: 2 * scenario.amountMinor, merchantSees: 'a new charge' };
  // END SOLUTION
}

/** 1.2 — The retry carries the same Idempotency-Key. What does the server do, and answer? */
export function retryWithKey(): KeyedRetryAnswer {
  // BEGIN SOLUTION
  return {
    // Phase 1 finds the key completed: compare, then answer from the saved result.
    steps: ['validate_parameters', 'look_up_key', 'compare_parameters', 'replay_saved_response'],
    afterCompletion: { status: 200, replayed: true, newCharges: 0, savesResult: false },
    // Another request holds the key: 409, nothing saved, safe to retry later.
    whileFirstInFlight: { status: 409, replayed: false, newCharges: 0, savesResult: false },
    withChangedParameters: { status: 400, replayed: false, newCharges: 0, savesResult: false },
    // The 400 of a validation failure was never saved: the corrected retry executes.
    afterValidationError: { status: 200, replayed: false, newCharges: 1, savesResult: true },
    // The 500 was saved once execution began: the retry gets it replayed.
    afterCardNetworkError: { status: 500, replayed: true, newCharges: 0, savesResult: false },
    clientAfterReplayed500: 'reconcile before any new attempt',
    clientAfterCorrecting400: 'retry with a new key',
  };
  // END SOLUTION
}

/** 1.3 — How long should keys be kept, which client retry window must that cover, and why the margin? */
export function keyTtl(): TtlAnswer {
  // BEGIN SOLUTION
  // Retries (the client's own, then queued jobs) stop 12 h after the first attempt. A job
  // queue held up by an outage may run up to 2 h late, and the servers' clocks may disagree
  // by minutes: keys live 24 h, as Stripe's do. Past that, the client asks what happened to
  // the order before doing anything else.
  return {
    ttlHours: 24,
    retryWindowHours: 12,
    margin: [
      { cause: 'queued jobs', hours: 2 },
      { cause: 'clock skew', hours: 0.1 },
    ],
    clientAfterTtl: 'reconcile before any new attempt',
  };
  // END SOLUTION
}

/** 1.4 — The key a client sends for an operation: the same on every retry, one per intended operation. */
export function makeIdempotencyKey(operation: PaymentOperation): string {
  // BEGIN SOLUTION
  // The id of the operation's record, stored before the first call: every retry (and a
  // restarted server) reads the same record, a second refund or a new card gets a new one.
  // Nothing from the card or the customer: a key is no secret, the API stores and repeats it.
  return `${operation.action}:${operation.operationId}`;
  // END SOLUTION
}
