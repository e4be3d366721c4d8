/**
 * Chapter 3 — Webhook reliability: your answers.
 *
 * Replace each `throw new Error('TODO: not answered yet')` with your answer, then run
 * `npm run check -- 3`. The types say what each answer must look like.
 */
import * as crypto from 'node:crypto';
import type {
  DispatchPolicy,
  HandlerStep,
  MerchantState,
  RetrySchedule,
  TerminalPolicy,
  WebhookEvent,
} from '../../specs/03-webhooks/answer-types.ts';

/** 3.1 — Accept a delivery only if Stripe signed this body recently, with a secret the merchant holds. */
export function verifyDelivery(payload: string, signatureHeader: string, secrets: string[], nowSeconds: number): boolean {
  throw new Error('TODO: not answered yet');
}

/** 3.1 — The merchant's handler: the state after processing one delivery of an event. */
export function handleWebhook(state: MerchantState, event: WebhookEvent): MerchantState {
  throw new Error('TODO: not answered yet');
}

/** 3.1 — The steps of the merchant's server for one delivery, in order; it may die between any two. */
export function handlerSteps(): HandlerStep[] {
  throw new Error('TODO: not answered yet');
}

/** 3.2 — The delays before each retry, their jitter, the window you promise, and what each status means. */
export function retrySchedule(): RetrySchedule {
  throw new Error('TODO: not answered yet');
}

/** 3.3 — How the dispatcher shares its workers, so that slow merchants do not delay the others. */
export function dispatchPolicy(): DispatchPolicy {
  throw new Error('TODO: not answered yet');
}

/** 3.4 — What happens to an event whose retries have all failed, and to an endpoint that keeps failing. */
export function terminalPolicy(): TerminalPolicy {
  throw new Error('TODO: not answered yet');
}
