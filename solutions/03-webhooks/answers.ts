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
  // BEGIN SOLUTION
  // `t=<unix s>,v1=<hex>,v1=<hex>…`: one v1 per secret the sender signs with (two while a
  // secret is rolled); other schemes are ignored.
  const fields = signatureHeader.split(',').map((field) => field.split('='));
  const t = fields.find(([key]) => key === 't')?.[1] ?? '';
  const signatures = fields.filter(([key]) => key === 'v1').map(([, value]) => Buffer.from(value ?? '', 'hex'));
  // The timestamp is signed with the body, so it cannot be changed; a delivery older than five
  // minutes (Stripe's default tolerance) is refused as a replay, and so is one from too far ahead.
  if (!/^\d+$/.test(t) || Math.abs(nowSeconds - Number(t)) > 300) return false;
  return secrets.some((secret) => {
    const expected = crypto.createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest();
    // Constant time: an early-exit comparison would tell a forger, by how long the refusal
    // takes, how many leading bytes of a guessed signature are right.
    return signatures.some((given) => given.length === expected.length && crypto.timingSafeEqual(given, expected));
  });
  // END SOLUTION
}

/** 3.1 — The merchant's handler: the state after processing one delivery of an event. */
export function handleWebhook(state: MerchantState, event: WebhookEvent): MerchantState {
  // BEGIN SOLUTION
  // A redelivery carries the id of an event already applied: acknowledge it, change nothing.
  if (state.processedEventIds.includes(event.id)) return state;
  const order = state.orders[event.orderId];
  const paid = event.type === 'payment_intent.succeeded';
  // Money moves by the payment and by each Refund (`refund.created`, its own amount). The
  // Charge in `charge.refunded` carries a running total of the same refunds: subtracting it too
  // would count every earlier refund again, so it only marks the order refunded.
  const moved = paid ? event.amountMinor : event.type === 'refund.created' ? -event.amountMinor : 0;
  // The status is not taken from whichever event arrived last, nor from `created` (whole
  // seconds: a refund in the second of its payment ties with it), but from what has happened:
  // once any refund is applied, the order is refunded.
  const refunded = !paid || order?.status === 'refunded';
  return {
    processedEventIds: [...state.processedEventIds, event.id],
    orders: {
      ...state.orders,
      [event.orderId]: {
        status: refunded ? 'refunded' : 'paid',
        statusSetAt: Math.max(order?.statusSetAt ?? event.created, event.created),
        netMinor: (order?.netMinor ?? 0) + moved,
      },
    },
    receiptsSent: state.receiptsSent + (paid ? 1 : 0),
  };
  // END SOLUTION
}

/** 3.1 — The steps of the merchant's server for one delivery, in order; it may die between any two. */
export function handlerSteps(): HandlerStep[] {
  // BEGIN SOLUTION
  // The signature first. Then one transaction holds the event id (unique: a redelivery stops
  // there), the credit and the receipt's outbox row: a crash anywhere before COMMIT leaves none
  // of them, and after it all three, so that a redelivery either redoes everything or nothing.
  // The receipt leaves through the outbox after COMMIT (an email sent from inside the
  // transaction cannot be rolled back); the 2xx goes last, once the work is durable.
  return ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx'];
  // END SOLUTION
}

/** 3.2 — The delays before each retry, their jitter, the window you promise, and what each status means. */
export function retrySchedule(): RetrySchedule {
  // BEGIN SOLUTION
  // Exponential backoff ×3 from one minute: 1, 3, 9, 27 min, 1.35 h, 4.05 h, 12.15 h, 36.45 h.
  // The last retry is sent 54.67 h after the event (49.2–60.1 h with jitter), inside the
  // three days promised even when every failed attempt waits out its timeout.
  return {
    baseDelaysSeconds: [0, 1, 2, 3, 4, 5, 6, 7].map((k) => 60 * 3 ** k),
    jitter: 0.1,
    jitterDescription:
      'each delay times a uniform factor in [0.9, 1.1], so that events that failed together (an endpoint that was down) are not all retried at the same instant; with a ratio of 3 between delays, jitter never makes a delay shorter than the one before',
    promiseHours: 72,
    // As the Standard Webhooks spec suggests: a redirect is a failure (the merchant should
    // update its URL), 410 Gone means the endpoint wants no more events, and a Retry-After is
    // the receiver saying when it can take more.
    statusHandling: { redirect: 'failure', gone: 'disable_endpoint', tooManyRequests: 'wait_retry_after' },
  };
  // END SOLUTION
}

/** 3.3 — How the dispatcher shares its workers, so that slow merchants do not delay the others. */
export function dispatchPolicy(): DispatchPolicy {
  // BEGIN SOLUTION
  // One queue per endpoint, served in turn; at most 10 requests in flight to one endpoint; an
  // endpoint that answered slower than 5 s (or not at all) is served only by a quarter of the
  // workers until it answers fast again; retries wait apart from first attempts, on a quarter of
  // the workers, so that a wave of retries to endpoints that are down cannot hold up fresh
  // events; one endpoint keeps at most 500 events in the dispatcher's memory (the rest wait in
  // durable storage, in order), and its merchant is alerted when it gets there. The timeout
  // stays at 30 s: slow merchants do answer.
  return {
    queueing: 'per_endpoint',
    timeoutSeconds: 30,
    maxInFlightPerEndpoint: 10,
    slowLane: { slowAfterSeconds: 5, workerShare: 0.25 },
    retryLane: { workerShare: 0.25 },
    backlog: { maxQueuedPerEndpoint: 500, alertMerchant: true },
  };
  // END SOLUTION
}

/** 3.4 — What happens to an event whose retries have all failed, and to an endpoint that keeps failing. */
export function terminalPolicy(): TerminalPolicy {
  // BEGIN SOLUTION
  // The event and the endpoint are judged apart. The event is kept, the merchant told, and a
  // replay allowed. The endpoint is disabled only after failing across events for days, with a
  // warning first: one event that crashes the merchant's handler must not cut off the others.
  // Events created while it is disabled are never sent, so the merchant needs a list of what
  // was not delivered (Stripe's Events API, delivery_success=false), replayed oldest first.
  return {
    event: 'dead_letter',
    notifyMerchant: true,
    allowReplay: true,
    endpoint: 'disable_after_sustained_failure',
    warnBeforeDisabling: true,
    backstop: 'list_undelivered_events',
  };
  // END SOLUTION
}
