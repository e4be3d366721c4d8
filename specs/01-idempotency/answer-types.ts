/** The shapes of chapter 1's answers: what the student fills in `exercises/01-idempotency/answers.ts`. */
import type { HttpStatus, ServerStep } from '../../models/idempotency-store/machine.ts';

export type { HttpStatus, ServerStep };

/** Task 1.1: what happens when the retry carries no idempotency key. */
export interface RetryWithoutKeysPrediction {
  /** Charges the customer ends up with. */
  charges: number;
  /** Total taken from the customer, in minor units (the charge is 10000, i.e. $100.00). */
  totalChargedMinor: number;
  /** What the merchant's server records from the retry's response: the charge its first attempt made, a new one, or an error. */
  merchantSees: "the first attempt's charge" | 'a new charge' | 'an error';
}

/** What one request gets back, and how many charges it creates. */
export interface RequestOutcome {
  /** The HTTP status code the request gets back. */
  status: number;
  newCharges: number;
}

/** Task 1.2: the retry arrives at the API with the same Idempotency-Key. */
export interface KeyedRetryAnswer {
  /** The server's steps for the retry, in order. */
  steps: ServerStep[];
  /** The retry's response: status, whether it is a replay of the saved result, new charges. */
  response: RequestOutcome & { replayed: boolean };
  /** If the retry had arrived while the first request was still executing. */
  whileFirstInFlight: RequestOutcome;
  /** If the retry had reused the key with different parameters (another amount). */
  withChangedParameters: RequestOutcome;
}

/** Task 1.3: how long keys are kept, and the client retry window that must fit inside. */
export interface TtlAnswer {
  ttlHours: number;
  /** The longest time, from the first attempt, over which a client may still retry. */
  retryWindowHours: number;
}

/** Task 1.4: a payment operation as the merchant's server knows it. */
export interface PaymentOperation {
  merchantId: string;
  orderId: string;
  action: 'charge' | 'capture' | 'refund';
  amountMinor: number;
  currency: string;
  customerEmail: string;
  cardNumber: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** When this attempt was made (ISO 8601). */
  attemptedAt: string;
}

export interface ChapterOneAnswers {
  retryWithoutKeys: () => RetryWithoutKeysPrediction;
  retryWithKey: () => KeyedRetryAnswer;
  keyTtl: () => TtlAnswer;
  makeIdempotencyKey: (operation: PaymentOperation) => string;
}
