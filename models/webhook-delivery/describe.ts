/**
 * The model's steps in the domain's words: one line per step for text traces, and the
 * messages of a sequence diagram.
 */
import type { SequenceItem } from '../../tools/render/sequence.ts';
import type { WebhookContext, WebhookDeliveryEvent } from './machine.ts';

type Snapshot = { context: WebhookContext };

/** Seconds as a reader wants them: 30 s, 4 min, 2.02 h. */
export const clock = (seconds: number) =>
  seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${+(seconds / 60).toFixed(1)} min` : `${+(seconds / 3600).toFixed(2)} h`;

const attemptName = (context: WebhookContext) =>
  context.attempt ? `${context.attempt.kind === 'replay' ? 'replay' : 'attempt'} ${context.attempt.number}` : 'no attempt';

const merchantLine = ({ merchant }: WebhookContext) => {
  const orders = Object.entries(merchant.orders).map(([id, o]) => `${id} ${o.status}, net ${o.netMinor}`);
  return `${orders.length ? orders.join('; ') : 'no order recorded'}; receipts sent ${merchant.receiptsSent}`;
};

/** What happened after a failed attempt: the next retry, or the terminal policy. */
function afterFailure(a: WebhookContext): string {
  if (a.status === 'scheduled_retry') return `retry in ${clock(a.lastWait!)}, at t=${clock(a.nextAttemptAt)}`;
  const policy = [
    a.status === 'dead_lettered' ? 'event dead-lettered' : 'event DISCARDED',
    a.endpoint === 'disabled' ? 'endpoint disabled' : 'endpoint left enabled',
    a.merchantNotified ? 'merchant notified' : 'merchant NOT notified',
  ];
  return `schedule exhausted: ${policy.join(', ')}`;
}

/** One line of a text trace. */
export function describeStep(event: WebhookDeliveryEvent, before: Snapshot, after: Snapshot): string {
  const b = before.context;
  const a = after.context;
  const at = `[t=${clock(a.now)}]`;
  switch (event.type) {
    case 'DISPATCH':
      return `${at} Stripe sends ${attemptName(a)} of ${'payment_intent.succeeded'} to the endpoint`;
    case 'MERCHANT_HANDLES':
      return `${at} merchant's handler processes ${attemptName(a)} (delivery ${a.deliveriesHandled} to reach it) and answers 200`;
    case 'MERCHANT_ERRORS':
      return `${at} merchant's server answers 500 to ${attemptName(a)} without processing it`;
    case 'RESPONSE_ARRIVES':
      return b.wire === 'ok_response'
        ? `${at} Stripe receives 200 for ${attemptName(a)}: delivered`
        : `${at} Stripe receives 500 for ${attemptName(a)}: ${afterFailure(a)}`;
    case 'ACK_LOST':
      return `${at} the 200 for ${attemptName(a)} is lost on the way back`;
    case 'ATTEMPT_TIMES_OUT':
      return b.wire === 'ok_response'
        ? `${at} the 200 for ${attemptName(a)} is lost: it comes after the ${a.now - b.attempt!.at} s timeout, Stripe has given up: ${afterFailure(a)}`
        : `${at} no response to ${attemptName(a)} within ${a.now - b.attempt!.at} s: ${afterFailure(a)}`;
    case 'MERCHANT_REPLAYS':
      return `${at} merchant fixes its server, re-enables the endpoint and replays the event (${attemptName(a)})`;
    case 'TIME_PASSES':
      return `[t=${clock(b.now)} → ${clock(a.now)}] time passes`;
  }
}

/** A one-line summary of the state that matters to the reader. */
export function describeState({ context }: Snapshot): string {
  return `event ${context.status}; merchant: ${merchantLine(context)}`;
}

export const participants = ['Stripe', 'Merchant'];

/** The messages of a sequence diagram for one step (none for steps that show nothing). */
export function sequenceOfStep(event: WebhookDeliveryEvent, before: Snapshot, after: Snapshot): SequenceItem[] {
  const b = before.context;
  const a = after.context;
  switch (event.type) {
    case 'DISPATCH':
      return [{ kind: 'message', from: 'Stripe', to: 'Merchant', text: `t=${clock(a.now)} POST payment_intent.succeeded ${a.attempt!.number === 1 ? '' : `(${attemptName(a)}) `}id evt_1842`, style: 'async' }];
    case 'MERCHANT_REPLAYS':
      return [
        { kind: 'note', over: ['Merchant'], text: `t=${clock(a.now)} fixes its server, re-enables the endpoint, asks for a replay` },
        { kind: 'message', from: 'Stripe', to: 'Merchant', text: `POST payment_intent.succeeded (${attemptName(a)}) id evt_1842`, style: 'async' },
      ];
    case 'MERCHANT_HANDLES':
      return [{ kind: 'note', over: ['Merchant'], text: `handler runs (delivery ${a.deliveriesHandled}): ${merchantLine(a)}` }];
    case 'MERCHANT_ERRORS':
      return [{ kind: 'message', from: 'Merchant', to: 'Stripe', text: '500 (not processed)', style: 'reply' }];
    case 'RESPONSE_ARRIVES':
      return b.wire === 'ok_response'
        ? [{ kind: 'message', from: 'Merchant', to: 'Stripe', text: `200 OK (${attemptName(a)}): delivered`, style: 'reply' }]
        : [{ kind: 'note', over: ['Stripe'], text: afterFailure(a) }];
    case 'ACK_LOST':
      return [{ kind: 'message', from: 'Merchant', to: 'Stripe', text: `200 OK (${attemptName(a)}) lost`, style: 'lost' }];
    case 'ATTEMPT_TIMES_OUT': {
      const late: SequenceItem[] = b.wire === 'ok_response' ? [{ kind: 'message', from: 'Merchant', to: 'Stripe', text: `200 OK (${attemptName(b)}) after the timeout: lost`, style: 'lost' }] : [];
      return [...late, { kind: 'note', over: ['Stripe'], text: `t=${clock(a.now)} no response to ${attemptName(b)} in time: ${afterFailure(a)}` }];
    }
    case 'TIME_PASSES':
      return [];
  }
}
