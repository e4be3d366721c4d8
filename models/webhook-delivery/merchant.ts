/**
 * The merchant's side of a webhook: the events it receives, the state its handler keeps, and
 * what exactly-once processing of a set of events would leave behind (the specification a
 * handler is judged against).
 *
 * Stripe's documented behaviour is the reference (https://docs.stripe.com/webhooks): an
 * endpoint may receive the same event more than once, and events are not guaranteed to arrive
 * in the order they were created.
 */

export type WebhookEventType = 'payment_intent.succeeded' | 'refund.created' | 'charge.refunded';

export interface WebhookEvent {
  /** Unique per event; a redelivery of the same event carries the same id. */
  id: string;
  type: WebhookEventType;
  /**
   * When the event was created, in whole seconds (Stripe's resolution): two events of one
   * second tie, so `created` orders events only when they are a second or more apart.
   */
  created: number;
  orderId: string;
  /**
   * In minor units: for `payment_intent.succeeded` the payment's amount; for `refund.created`
   * (one per refund) that refund's amount; for `charge.refunded` (also one per refund) the
   * Charge's amount — the Charge it carries says how much has been refunded in all.
   */
  amountMinor: number;
  /**
   * `charge.refunded` only: the Charge's `amount_refunded`, cumulative — every refund so far,
   * this one included (https://docs.stripe.com/api/charges/object#charge_object-amount_refunded).
   */
  amountRefundedMinor?: number;
}

export type OrderStatus = 'paid' | 'refunded';

export interface OrderRecord {
  /** The status the latest event (by `created`) gave the order. */
  status: OrderStatus;
  /** When the event that set `status` was created, in seconds. */
  statusSetAt: number;
  /** Received minus refunded, in minor units. */
  netMinor: number;
}

export interface MerchantState {
  /** Ids of the events the handler has applied: its record for telling redeliveries apart. */
  processedEventIds: string[];
  orders: Record<string, OrderRecord>;
  /** Receipts emailed to customers: one per payment, a side effect that must not repeat. */
  receiptsSent: number;
}

export const emptyMerchantState = (): MerchantState => ({ processedEventIds: [], orders: {}, receiptsSent: 0 });

/** How each kind of event changes the order's net amount, in minor units. */
const netEffect: Record<WebhookEventType, (event: WebhookEvent) => number> = {
  'payment_intent.succeeded': (event) => event.amountMinor,
  'refund.created': (event) => -event.amountMinor,
  // A running total of refunds already counted by their own `refund.created` events.
  'charge.refunded': () => 0,
};

/**
 * One event's facts applied to the state: a payment adds its amount and sends a receipt; a
 * refund (`refund.created`) subtracts its own amount; both refund events mark the order refunded
 * (`charge.refunded` repeats, as a running total, what the `refund.created` events already say,
 * so it moves no money here). The status is the last applied event's.
 */
function applyFacts(state: MerchantState, event: WebhookEvent): MerchantState {
  const before = state.orders[event.orderId];
  const isPayment = event.type === 'payment_intent.succeeded';
  const record: OrderRecord = {
    status: isPayment ? 'paid' : 'refunded',
    statusSetAt: event.created,
    netMinor: (before ? before.netMinor : 0) + netEffect[event.type](event),
  };
  return {
    processedEventIds: state.processedEventIds.concat(event.id),
    orders: { ...state.orders, [event.orderId]: record },
    receiptsSent: isPayment ? state.receiptsSent + 1 : state.receiptsSent,
  };
}

/**
 * A handler as first written: it applies every delivery it receives, and lets the last one
 * delivered set the order's status. Correct only if every event arrives once and in order.
 */
export function naiveHandler(state: MerchantState, event: WebhookEvent): MerchantState {
  return applyFacts(state, event);
}

/** In one second, a payment happened before any refund of it. */
const happenedFirst: Record<WebhookEventType, number> = { 'payment_intent.succeeded': 0, 'refund.created': 1, 'charge.refunded': 1 };

/**
 * The state exactly-once, in-order processing leaves: each distinct event applied once, in the
 * order the facts happened: by `created`, and within one second a payment before its refunds
 * (then by id, so that the result is a function of the set).
 */
export function exactlyOnce(events: readonly WebhookEvent[]): MerchantState {
  const distinct = [...new Map(events.map((e) => [e.id, e])).values()];
  distinct.sort((a, b) => a.created - b.created || happenedFirst[a.type] - happenedFirst[b.type] || a.id.localeCompare(b.id));
  return distinct.reduce(applyFacts, emptyMerchantState());
}

/** What the business sees of a merchant's state: orders and receipts, not the handler's bookkeeping. */
export interface BusinessView {
  orders: Record<string, { status: OrderStatus; netMinor: number }>;
  receiptsSent: number;
}

export function businessView(state: MerchantState): BusinessView {
  const ids = Object.keys(state.orders).sort();
  return {
    orders: Object.fromEntries(ids.map((id) => [id, { status: state.orders[id]!.status, netMinor: state.orders[id]!.netMinor }])),
    receiptsSent: state.receiptsSent,
  };
}

export const sameBusinessState = (a: MerchantState, b: MerchantState) =>
  JSON.stringify(businessView(a)) === JSON.stringify(businessView(b));

/**
 * A handler that skips an event it has already applied, recognised by its id. Redeliveries of
 * one event are then harmless; events that arrive out of order are another matter.
 */
export function dedupingHandler(state: MerchantState, event: WebhookEvent): MerchantState {
  return state.processedEventIds.includes(event.id) ? state : applyFacts(state, event);
}
