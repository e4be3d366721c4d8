/**
 * Task 3.1, last part: the handler's steps against crashes. The invariants of the handler-steps
 * model, the exploration of a student's design, and its traces in the merchant's words.
 */
import { explore, type Exploration, type Invariant } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import {
  createHandlerStepsModel,
  handlerStepEvents,
  handlerStepsBounds,
  type HandlerContext,
  type HandlerModelEvent,
  type HandlerStep,
} from '../../models/webhook-delivery/handler-steps.ts';

type Snapshot = { context: HandlerContext };
export type HandlerExploration = Exploration<Snapshot, HandlerModelEvent>;

export const creditedAtMostOnce: Invariant<Snapshot> = {
  id: 'WEBHOOK-6',
  statement: 'the order is credited at most once for the event, whatever crashes and redeliveries happen',
  task: '3.1',
  holds: ({ context }) => context.committed.credits <= 1,
};

export const receiptAtMostOnce: Invariant<Snapshot> = {
  id: 'WEBHOOK-7',
  statement: 'the customer receives at most one receipt for the event',
  task: '3.1',
  holds: ({ context }) => context.receiptsSent <= 1,
};

/** A property of the finished runs (states where nothing more can happen). */
export const finishedRunsComplete = {
  id: 'WEBHOOK-8',
  statement: 'every finished run ends with the event acknowledged, the order credited once and one receipt sent',
  task: '3.1',
  holds: ({ context }: Snapshot) => context.acknowledged && context.committed.credits === 1 && context.receiptsSent === 1,
};

export const handlerInvariants = [creditedAtMostOnce, receiptAtMostOnce];

const rows = (c: HandlerContext) =>
  `committed: ${c.committed.eventRecorded ? 'event id recorded' : 'no event id'}, credited ×${c.committed.credits}, outbox ${c.committed.outbox}` +
  (c.committed.inboxed ? `, inbox ${c.committed.inboxProcessed ? 'processed' : 'waiting'}` : '') +
  (c.transaction ? `; open transaction: ${c.transaction.eventRecorded ? 'event id' : 'no event id'}, credited ×${c.transaction.credits}, outbox ${c.transaction.outbox}` : '') +
  `; receipts sent ${c.receiptsSent}`;

const stepWords: Record<HandlerStep, string> = {
  verify_signature: 'checks the signature',
  begin: 'BEGINs a transaction',
  record_event_id: 'INSERTs the event id',
  apply_effect: 'credits the order',
  enqueue_receipt: 'INSERTs the receipt into the outbox',
  send_receipt: 'emails the receipt',
  store_in_inbox: 'INSERTs the event into the inbox',
  commit: 'COMMITs',
  respond_2xx: 'answers 2xx',
};

export function describeHandlerStep(steps: readonly HandlerStep[]) {
  return (event: HandlerModelEvent, before: Snapshot, after: Snapshot): string => {
    const b = before.context;
    switch (event.type) {
      case 'DELIVERY_ARRIVES':
        return `Stripe delivers the event (delivery ${after.context.deliveries})`;
      case 'NEXT_STEP': {
        const step = steps[b.pc!]!;
        if (step === 'record_event_id' && (b.transaction ?? b.committed).eventRecorded) return 'the merchant finds the event id already recorded: a duplicate, it answers 2xx';
        const ends = after.context.pc === null && b.transaction !== null && after.context.transaction === null && step !== 'commit' ? ' (the request ends: its open transaction is rolled back)' : '';
        return `the merchant ${stepWords[step]}${ends}`;
      }
      case 'MERCHANT_CRASHES':
        return `the merchant's process dies${b.transaction ? ': the open transaction is rolled back' : ''}; no 2xx reaches Stripe`;
      case 'ACK_ARRIVES':
        return 'the 2xx reaches Stripe: the event is delivered';
      case 'ACK_LOST':
        return 'the 2xx is lost on its way back: Stripe will deliver again';
      case 'RELAY_SENDS_RECEIPT':
        return 'the outbox relay emails the committed receipt';
      case 'INBOX_WORKER_PROCESSES':
        return 'the inbox worker, in one transaction, credits the order, adds the receipt to the outbox and marks the event processed';
    }
  };
}

export interface HandlerCheck {
  exploration: HandlerExploration;
  /** The first property violated, with its shortest trace. */
  violation?: { id: string; statement: string; trace: string };
}

/** Every reachable state of the design, with WEBHOOK-6, -7 (each state) and -8 (finished runs) checked. */
export function exploreHandlerSteps(steps: readonly HandlerStep[]): HandlerCheck {
  const exploration = explore(createHandlerStepsModel({ steps, ...handlerStepsBounds }), {
    events: handlerStepEvents,
    invariants: handlerInvariants,
    stopAtFirstViolation: false,
  }) as HandlerExploration;
  const format = { step: describeHandlerStep(steps), state: (s: Snapshot) => rows(s.context) };
  const first = exploration.violations[0];
  if (first) return { exploration, violation: { id: first.property.id, statement: first.property.statement, trace: formatTrace(first.trace, format) } };
  const unfinished = exploration.terminal.find((i) => !finishedRunsComplete.holds(exploration.snapshots[i]!));
  if (unfinished !== undefined) {
    return { exploration, violation: { id: finishedRunsComplete.id, statement: finishedRunsComplete.statement, trace: formatTrace(exploration.pathTo(unfinished), format) } };
  }
  return { exploration };
}
