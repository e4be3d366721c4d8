/** The shapes of chapter 1's answers: what the student fills in `exercises/01-idempotency/answers.ts`. */
import type { idempotencyScenario } from '../../models/idempotency-store/scenario.ts';

/** The scenario's figures as the chapter's text gives them (amount, timeout, retry delay, …): plain data. */
export type ScenarioFigures = typeof idempotencyScenario;

/** Task 1.1: what happens when the retry carries no idempotency key. */
export interface RetryWithoutKeysPrediction {
  /** Charges the customer ends up with. */
  charges: number;
  /** Total taken from the customer, in minor units. */
  totalChargedMinor: number;
  /** What the merchant's server records from the retry's response: the charge its first attempt made, a new one, or an error. */
  merchantSees: "the first attempt's charge" | 'a new charge' | 'an error';
}

/**
 * The steps a server may take for one request, in any design. `claim_key` is an atomic
 * insert-or-find (`INSERT … ON CONFLICT DO NOTHING`, then read the row); `look_up_key` reads
 * the key's record first.
 */
export type ServerStep =
  | 'validate_parameters'
  | 'look_up_key'
  | 'claim_key'
  | 'compare_parameters'
  | 'lock_key'
  | 'process_request'
  | 'call_card_network'
  | 'save_result'
  | 'return_validation_error'
  | 'return_conflict'
  | 'return_parameters_error'
  | 'replay_saved_response';

/** What one request gets back, what it costs the customer, and what it leaves in the key store. */
export interface RequestOutcome {
  /** The HTTP status code the request gets back. */
  status: number;
  /** Is the response a replay of a saved one, rather than the result of executing this request? */
  replayed: boolean;
  /** Charges this request creates at the card network. */
  newCharges: number;
  /** Does the server save this request's response under the key? */
  savesResult: boolean;
}

/** After a response, what the merchant's client does next. */
export type ClientMove = 'retry with the same key' | 'retry with a new key' | 'reconcile before any new attempt';

/** Task 1.2: the retry arrives at the API with the same Idempotency-Key. */
export interface KeyedRetryAnswer {
  /** The server's steps for the scenario's retry (the first request completed), in order. */
  steps: ServerStep[];
  /** The scenario's retry: the first request completed and its response was saved. */
  afterCompletion: RequestOutcome;
  /** The retry arrives while the first request is still executing. */
  whileFirstInFlight: RequestOutcome;
  /** The retry reuses the key with different parameters (another amount). */
  withChangedParameters: RequestOutcome;
  /** The first attempt failed validation (400); the retry sends corrected parameters with the same key. */
  afterValidationError: RequestOutcome;
  /** The first attempt's card network call failed and the API answered 500; the retry sends the same key. */
  afterCardNetworkError: RequestOutcome;
  /** What the client does after it receives a replayed 500. */
  clientAfterReplayed500: ClientMove;
  /** What the client does after a 400 it corrects by changing the request (an endpoint that began executing saved that 400). */
  clientAfterCorrecting400: ClientMove;
}

/** Why a TTL needs more than the retry window. */
export type MarginCause = 'clock skew' | 'queued jobs' | 'manual retries' | 'lock timeout' | 'deploys and outages';

/** Task 1.3: how long keys are kept, the retry window they cover, and the client past the TTL. */
export interface TtlAnswer {
  ttlHours: number;
  /** The longest time, from the first attempt, over which a client may still retry. */
  retryWindowHours: number;
  /** What the TTL adds beyond the retry window, and why: each cause with the hours it needs. */
  margin: { cause: MarginCause; hours: number }[];
  /** What the client does when it finds an operation unresolved after the TTL. */
  clientAfterTtl: ClientMove;
}

/**
 * Task 1.4: one intended payment operation as the merchant's server knows it. Before its first
 * call for an operation (a payment attempt, one refund) the server stores a record of it:
 * `operationId` is that record's id, `storedUuid` a random V4 UUID generated once and stored
 * with it. Retries of the operation reuse the record; a new operation gets a new record.
 */
export interface PaymentOperation {
  merchantId: string;
  orderId: string;
  /** The id of the operation's record (e.g. `pay_att_…`, `refund_…`), stored before the first call. */
  operationId: string;
  /** A V4 UUID generated once for this operation and stored with its record. */
  storedUuid: string;
  action: 'charge' | 'capture' | 'refund';
  amountMinor: number;
  currency: string;
  /** The payment method this operation uses (a new card after a decline is a new operation). */
  paymentMethodId: string;
  customerEmail: string;
  cardNumber: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** When this attempt was made (ISO 8601). */
  attemptedAt: string;
}

export interface ChapterOneAnswers {
  retryWithoutKeys: (scenario: ScenarioFigures) => RetryWithoutKeysPrediction;
  retryWithKey: () => KeyedRetryAnswer;
  keyTtl: () => TtlAnswer;
  makeIdempotencyKey: (operation: PaymentOperation) => string;
}
