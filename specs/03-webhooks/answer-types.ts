/** The shapes of chapter 3's answers: what the student fills in `exercises/03-webhooks/answers.ts`. */
import type { MerchantState, OrderRecord, OrderStatus, WebhookEvent, WebhookEventType } from '../../models/webhook-delivery/merchant.ts';
import type { TerminalPolicy } from '../../models/webhook-delivery/machine.ts';
import type { HandlerStep } from '../../models/webhook-delivery/handler-steps.ts';

export type { HandlerStep };

export type { MerchantState, OrderRecord, OrderStatus, TerminalPolicy, WebhookEvent, WebhookEventType };

/**
 * Task 3.1, first: the merchant's check of a delivery's `Stripe-Signature` header, before
 * anything else is done with it. `payload` is the raw body as received (a string, never parsed
 * and re-serialised); `secrets` are the endpoint's signing secrets the merchant holds (two while
 * it rolls them); `nowSeconds` is the merchant's clock, in unix seconds. True accepts the
 * delivery, false refuses it (the server answers 400 and does nothing else).
 */
export type VerifyDelivery = (payload: string, signatureHeader: string, secrets: string[], nowSeconds: number) => boolean;

/**
 * Task 3.1: the merchant's webhook handler. Pure: it gets the merchant's state and one delivery,
 * and returns the state after processing it (it may return the same state unchanged).
 */
export type WebhookHandler = (state: MerchantState, event: WebhookEvent) => MerchantState;

/**
 * Task 3.2: what the dispatcher does with each response status (the Standard Webhooks spec
 * suggests a handling for each:
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 */
export interface StatusHandling {
  /** A 3xx: count it as a failed attempt, follow the redirect, or count it as delivered. */
  redirect: 'failure' | 'follow' | 'success';
  /** A 410 Gone: disable the endpoint (no more events to it), stop retrying this event only, or retry it like any failure. */
  gone: 'disable_endpoint' | 'stop_this_event' | 'retry';
  /** A 429 (or 503) with a Retry-After header: wait at least that long before the next attempt, retry on the schedule regardless, or give the event up. */
  tooManyRequests: 'wait_retry_after' | 'retry_on_schedule' | 'give_up';
}

/** Task 3.2: the retry schedule after a failed first attempt, and the window it promises. */
export interface RetrySchedule {
  /** The delay before retry n (n = 1, 2, …) after attempt n failed, before jitter, in seconds. */
  baseDelaysSeconds: number[];
  /**
   * A fraction j: each delay is multiplied by a factor drawn uniformly from [1 − j, 1 + j]; or
   * "full": each delay is drawn uniformly from 0 to its base delay (AWS's "full jitter").
   */
  jitter: number | 'full';
  /** Why this jitter, in a sentence (not graded). */
  jitterDescription: string;
  /** What you promise merchants: no automatic retry is sent later than this many hours after the event. */
  promiseHours: number;
  statusHandling: StatusHandling;
}

/**
 * Task 3.3: how the dispatcher shares its delivery workers between endpoints.
 *
 * `shared_fifo`: every ready attempt joins one queue; a free worker takes the oldest.
 * `per_endpoint`: each endpoint has its own queue; free workers serve the endpoints with ready
 * work in turn (round-robin), never more than `maxInFlightPerEndpoint` requests to one endpoint
 * at once; with a `slowLane`, endpoints found slow are served only by a reserved share of the
 * workers; with a `retryLane`, retries wait in queues of their own, served by a share of the
 * workers, apart from first attempts; with a `backlog`, an endpoint's queue holds at most so
 * many events in the dispatcher (the rest wait in durable storage, in order) and the merchant is
 * alerted when it is reached.
 */
export type DispatchPolicy =
  | { queueing: 'shared_fifo'; timeoutSeconds: number }
  | {
      queueing: 'per_endpoint';
      timeoutSeconds: number;
      maxInFlightPerEndpoint: number;
      slowLane: null | {
        /** An endpoint is slow after a response slower than this (or a timeout); fast again after a fast one. */
        slowAfterSeconds: number;
        /** At most this share of the workers (0–1) serves slow endpoints at once. */
        workerShare: number;
      };
      /** Optional (absent means none). */
      retryLane?: null | {
        /** At most this share of the workers (0–1) sends retries at once. */
        workerShare: number;
      };
      /** Optional (absent means none). */
      backlog?: null | {
        /** Events of one endpoint held in the dispatcher's queue at most. */
        maxQueuedPerEndpoint: number;
        /** Tell the merchant when its backlog reaches the bound. */
        alertMerchant: boolean;
      };
    };

export interface ChapterThreeAnswers {
  verifyDelivery: VerifyDelivery;
  handleWebhook: WebhookHandler;
  /**
   * Task 3.1, last: the steps the merchant's server takes for one delivery, in order (see
   * `HandlerStep` for what each does); its process may die between any two of them.
   */
  handlerSteps: () => HandlerStep[];
  retrySchedule: () => RetrySchedule;
  dispatchPolicy: () => DispatchPolicy;
  terminalPolicy: () => TerminalPolicy;
  /**
   * The source text of the answers' folder (its `.ts` files), read by the loader, not written by
   * the student: what a verdict cannot show (how signatures are compared) is looked for in it.
   */
  answerSource?: string;
}
