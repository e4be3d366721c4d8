/**
 * The merchant's server handling one event, step by step, with a crash possible between any two
 * steps: what a pure function of (state, event) cannot show about a handler.
 *
 * A handler's steps touch two systems. The database (the order's credit, the record of handled
 * event ids, an outbox of receipts to send) rolls back an open transaction when the process
 * dies; the email provider does not: a receipt sent is sent. A crash before the 2xx means the
 * sender retries the event; a 2xx lost on its way back means the same. The model explores every
 * order of delivery, step, crash, lost acknowledgement and outbox relay, up to a bound on
 * crashes and deliveries, so that a design that is right only when nothing fails is found out.
 *
 * The outbox relay sends each committed outbox row once, with the row's id as the email
 * provider's idempotency key, so that a relay crashing between sending and marking a row sent
 * does not send twice (the transactional outbox; brandur.org, "Transactionally Staged Job Drains
 * in Postgres", https://brandur.org/job-drain); it is modelled as one atomic step.
 *
 * A design may instead only store the event and answer (an inbox: Stripe's own advice is to
 * return 2xx quickly and do the work asynchronously, https://docs.stripe.com/webhooks#acknowledge-events-immediately).
 * The inbox table's primary key is the event id, and a stored event is processed later by a worker
 * whose one transaction credits the order, adds the receipt's outbox row and marks the inbox row
 * processed; a worker that dies mid-transaction leaves the row to process again, so its run is
 * one atomic step too. It runs when no request holds an open transaction. One request is
 * handled at a time: concurrent deliveries of one event are the unique constraint's job, not
 * this model's.
 */
import { assign, setup } from 'xstate';

/** One step of the handler, in the database's and the merchant's words. */
export type HandlerStep =
  /** Check the Stripe-Signature header (no effect on the state; a forged request stops here). */
  | 'verify_signature'
  /** BEGIN: the steps until COMMIT are one transaction. */
  | 'begin'
  /** INSERT the event id into a table with a unique constraint; if it is there already, the event is a duplicate: answer 2xx and do nothing more. */
  | 'record_event_id'
  /** Credit the order (an UPDATE in the database). */
  | 'apply_effect'
  /** INSERT a row into the outbox table; a relay sends the receipt once the row is committed. */
  | 'enqueue_receipt'
  /** Call the email provider now. */
  | 'send_receipt'
  /**
   * INSERT the event into the inbox table (primary key: the event id; a duplicate changes nothing,
   * ON CONFLICT DO NOTHING); a worker processes each committed inbox row later, once.
   */
  | 'store_in_inbox'
  /** COMMIT the open transaction. */
  | 'commit'
  /** Answer 2xx: the sender stops retrying once it receives it. */
  | 'respond_2xx';

export const HANDLER_STEPS: readonly HandlerStep[] = ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'send_receipt', 'store_in_inbox', 'commit', 'respond_2xx'];

export interface HandlerStepsConfig {
  steps: readonly HandlerStep[];
  /** How many times the merchant's process may die mid-request (bounds the model). */
  maxCrashes: number;
  /** How many 2xx may be lost on the way back. */
  maxLostAcks: number;
}

/** What the database holds: committed, or inside the open transaction. */
export interface Rows {
  eventRecorded: boolean;
  /** Times the order was credited for this event. */
  credits: number;
  /** Receipt rows in the outbox. */
  outbox: number;
  /** The event is in the inbox table, and whether the worker has processed it. */
  inboxed: boolean;
  inboxProcessed: boolean;
}

export interface HandlerContext {
  /** The next step of the request being handled, or null when no request is in progress. */
  pc: number | null;
  committed: Rows;
  /** The open transaction's view, or null outside a transaction. */
  transaction: Rows | null;
  /** Receipts that reached customers (sent directly, or by the relay). */
  receiptsSent: number;
  /** Outbox rows the relay has sent. */
  relayed: number;
  /** Whether the sender has received a 2xx. */
  acknowledged: boolean;
  /** A 2xx is on its way back. */
  ackInFlight: boolean;
  deliveries: number;
  crashes: number;
  lostAcks: number;
}

export type HandlerModelEvent =
  | { type: 'DELIVERY_ARRIVES' }
  | { type: 'NEXT_STEP' }
  | { type: 'MERCHANT_CRASHES' }
  | { type: 'ACK_ARRIVES' }
  | { type: 'ACK_LOST' }
  | { type: 'RELAY_SENDS_RECEIPT' }
  | { type: 'INBOX_WORKER_PROCESSES' };

const noRows: Rows = { eventRecorded: false, credits: 0, outbox: 0, inboxed: false, inboxProcessed: false };

/** The state after one step of the handler: a pure function of the context. */
export function runStep(context: HandlerContext, steps: readonly HandlerStep[]): Partial<HandlerContext> {
  const step = steps[context.pc!]!;
  const next = context.pc! + 1;
  const done = next >= steps.length;
  // The request ends after its last step: an open transaction is rolled back with the connection.
  const end = (patch: Partial<HandlerContext>): Partial<HandlerContext> => (done ? { ...patch, pc: null, transaction: null } : { ...patch, pc: next });
  const rows = context.transaction ?? context.committed;
  const write = (patch: Partial<Rows>): Partial<HandlerContext> =>
    context.transaction ? { transaction: { ...context.transaction, ...patch } } : { committed: { ...context.committed, ...patch } };
  switch (step) {
    case 'verify_signature':
      return end({});
    case 'begin':
      return end({ transaction: context.transaction ?? { ...context.committed } });
    case 'record_event_id':
      // A duplicate: the handler answers 2xx at once, and its open transaction (if any) ends.
      if (rows.eventRecorded) return { pc: null, transaction: null, ackInFlight: true };
      return end(write({ eventRecorded: true }));
    case 'apply_effect':
      return end(write({ credits: rows.credits + 1 }));
    case 'enqueue_receipt':
      return end(write({ outbox: rows.outbox + 1 }));
    case 'send_receipt':
      return end({ receiptsSent: context.receiptsSent + 1 });
    case 'store_in_inbox':
      return end(rows.inboxed ? {} : write({ inboxed: true }));
    case 'commit':
      return end(context.transaction ? { committed: context.transaction, transaction: null } : {});
    case 'respond_2xx':
      return end({ ackInFlight: true });
  }
}

export function createHandlerStepsModel(config: HandlerStepsConfig) {
  // Enough deliveries that every crash and every lost 2xx is followed by another attempt.
  const maxDeliveries = config.maxCrashes + config.maxLostAcks + 1;
  return setup({
    types: { context: {} as HandlerContext, events: {} as HandlerModelEvent },
    guards: {
      senderRetries: ({ context }) => context.pc === null && !context.acknowledged && !context.ackInFlight && context.deliveries < maxDeliveries,
      requestInProgress: ({ context }) => context.pc !== null,
      mayCrash: ({ context }) => context.pc !== null && context.crashes < config.maxCrashes,
      ackOnWire: ({ context }) => context.ackInFlight,
      ackMayBeLost: ({ context }) => context.ackInFlight && context.lostAcks < config.maxLostAcks,
      outboxHasUnsent: ({ context }) => context.committed.outbox > context.relayed,
      inboxHasUnprocessed: ({ context }) => context.committed.inboxed && !context.committed.inboxProcessed && context.transaction === null,
    },
    actions: {
      startRequest: assign(({ context }) => ({ pc: 0, deliveries: context.deliveries + 1 })),
      step: assign(({ context }) => runStep(context, config.steps)),
      crash: assign(({ context }) => ({ pc: null, transaction: null, ackInFlight: false, crashes: context.crashes + 1 })),
      takeAck: assign({ ackInFlight: false, acknowledged: true }),
      loseAck: assign(({ context }) => ({ ackInFlight: false, lostAcks: context.lostAcks + 1 })),
      relay: assign(({ context }) => ({ relayed: context.relayed + 1, receiptsSent: context.receiptsSent + 1 })),
      processInbox: assign(({ context }) => ({
        committed: { ...context.committed, credits: context.committed.credits + 1, outbox: context.committed.outbox + 1, inboxProcessed: true },
      })),
    },
  }).createMachine({
    id: 'handlerSteps',
    context: {
      pc: null,
      committed: noRows,
      transaction: null,
      receiptsSent: 0,
      relayed: 0,
      acknowledged: false,
      ackInFlight: false,
      deliveries: 0,
      crashes: 0,
      lostAcks: 0,
    },
    initial: 'serving',
    states: {
      serving: {
        on: {
          DELIVERY_ARRIVES: { guard: 'senderRetries', actions: 'startRequest' },
          NEXT_STEP: { guard: 'requestInProgress', actions: 'step' },
          MERCHANT_CRASHES: { guard: 'mayCrash', actions: 'crash' },
          ACK_ARRIVES: { guard: 'ackOnWire', actions: 'takeAck' },
          ACK_LOST: { guard: 'ackMayBeLost', actions: 'loseAck' },
          RELAY_SENDS_RECEIPT: { guard: 'outboxHasUnsent', actions: 'relay' },
          INBOX_WORKER_PROCESSES: { guard: 'inboxHasUnprocessed', actions: 'processInbox' },
        },
      },
    },
  });
}

const everyEvent: HandlerModelEvent[] = [
  { type: 'DELIVERY_ARRIVES' },
  { type: 'NEXT_STEP' },
  { type: 'MERCHANT_CRASHES' },
  { type: 'ACK_ARRIVES' },
  { type: 'ACK_LOST' },
  { type: 'RELAY_SENDS_RECEIPT' },
  { type: 'INBOX_WORKER_PROCESSES' },
];

export function handlerStepEvents(): HandlerModelEvent[] {
  return everyEvent;
}

/** The reference design: the event id, the credit and the receipt's outbox row in one transaction; 2xx after commit. */
export const atomicSteps: readonly HandlerStep[] = ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx'];

/** The bounds the check explores: two crashes and one lost 2xx. */
export const handlerStepsBounds = { maxCrashes: 2, maxLostAcks: 1 } as const;
