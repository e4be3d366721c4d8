/**
 * The model's steps in the domain's words: one line per step for text traces, and the
 * messages of a sequence diagram.
 */
import type { SequenceItem } from '../../tools/render/sequence.ts';
import type { IdempotencyContext, IdempotencyEvent, Response } from './machine.ts';

type Snapshot = { context: IdempotencyContext };

const clock = (seconds: number) =>
  seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${+(seconds / 60).toFixed(1)} min` : `${+(seconds / 3600).toFixed(2)} h`;

const statusText = (r: Pick<Response, 'status' | 'chargeId' | 'replayed' | 'refusal'>) =>
  ({
    200: `200 OK charge #${r.chargeId}`,
    400: r.refusal === 'validation' ? '400 invalid parameters (nothing saved)' : '400 idempotency error (parameters differ)',
    409: '409 Conflict (request in progress)',
    500: '500 card network error',
  })[r.status] + (r.replayed ? ' (replayed)' : '');

const held = (context: IdempotencyContext, attempt: number) => context.processing.find((r) => r.attempt === attempt);

const approval = (a: IdempotencyContext, b: IdempotencyContext) =>
  a.charges.length > b.charges.length ? `approves: charge #${a.charges.length} of ${a.charges[a.charges.length - 1]!.amountMinor} (minor units)` : 'recognises the downstream key: replays its first answer, no new charge';

/** One line of a text trace. */
export function describeStep(event: IdempotencyEvent, before: Snapshot, after: Snapshot): string {
  const b = before.context;
  const a = after.context;
  const at = `[t=${clock(a.now)}]`;
  switch (event.type) {
    case 'CLIENT_SENDS': {
      const sent = a.requests[a.requests.length - 1]!;
      const body = sent.body === 'changed' ? ' and CHANGED parameters' : sent.body === 'invalid' ? ' and INVALID parameters' : '';
      return `${at} merchant sends attempt ${sent.attempt}${sent.key ? ` with Idempotency-Key ${sent.key}` : ' without an idempotency key'}${body}`;
    }
    case 'REQUEST_ARRIVES': {
      const arrival = a.arrivals[a.arrivals.length - 1]!;
      const found = arrival.found === 'no_key' ? 'no key to look up' : `key ${arrival.found}`;
      return `${at} attempt ${event.attempt} reaches the API: ${found} → ${arrival.steps.join(', ')}`;
    }
    case 'API_CALLS_CARD_NETWORK': {
      const call = a.networkCalls.find((c) => c.attempt === event.attempt);
      if (!call) return `${at} API finds attempt ${event.attempt} no longer holds the key's lock: no call, 409`;
      return `${at} API calls the card network for attempt ${event.attempt} ${call.downstreamKey ? `with downstream key ${call.downstreamKey}` : 'with no downstream key'}`;
    }
    case 'CARD_NETWORK_APPROVES':
      return `${at} card network ${approval(a, b)} for attempt ${event.attempt}${held(a, event.attempt)?.stage === 'answered' ? '' : ' (the API server that asked is gone: the answer is lost)'}`;
    case 'CARD_NETWORK_FAILS':
      return `${at} card network fails attempt ${event.attempt}${held(a, event.attempt)?.stage === 'answered' ? '' : ' (the answer is lost)'}`;
    case 'API_SAVES_RESULT': {
      const response = a.responses.find((r) => r.attempt === event.attempt && !b.responses.includes(r))!;
      if (response.status === 409) return `${at} API finds attempt ${event.attempt} no longer holds the key's lock: nothing saved, 409`;
      return `${at} API saves the result of attempt ${event.attempt}${held(b, event.attempt)?.key ? ' under the key' : ''} and answers ${statusText(response)}`;
    }
    case 'SERVER_CRASHES':
      return `${at} API server crashes: ${b.processing.map((r) => `attempt ${r.attempt} (${r.stage.replaceAll('_', ' ')})`).join(', ')} lost from memory`;
    case 'RESPONSE_ARRIVES': {
      const response = b.responses.find((r) => r.attempt === event.attempt)!;
      return `${at} merchant receives ${statusText(response)} for attempt ${event.attempt}`;
    }
    case 'CLIENT_TIMES_OUT':
      return `${at} merchant times out waiting for attempt ${b.client.attempt}${a.client.phase === 'backing_off' ? `; retry scheduled at ${clock(a.client.since)}` : '; gives up'}`;
    case 'LOCK_TIMES_OUT':
      return `${at} lock on key ${event.key} times out: key unlocked at recovery point started`;
    case 'KEY_EXPIRES':
      return `${at} key ${event.key} expires (TTL reached)`;
    case 'TIME_PASSES':
      return `[t=${clock(b.now)} → ${clock(a.now)}] time passes`;
  }
}

/** A one-line summary of the state that matters to the reader. */
export function describeState({ context }: Snapshot): string {
  const keys = Object.entries(context.store).map(([key, record]) => `${key}: ${record.status}`);
  return `charges: ${context.charges.length}; keys: ${keys.length ? keys.join(', ') : 'none'}`;
}

export const participants = ['Merchant', 'API', 'Keys', 'Card'];

/** The messages of a sequence diagram for one step (none for steps that show nothing). */
export function sequenceOfStep(event: IdempotencyEvent, before: Snapshot, after: Snapshot): SequenceItem[] {
  const b = before.context;
  const a = after.context;
  switch (event.type) {
    case 'CLIENT_SENDS': {
      const sent = a.requests[a.requests.length - 1]!;
      const key = sent.key ? ` Idempotency-Key: ${sent.key}` : ' (no key)';
      return [{ kind: 'message', from: 'Merchant', to: 'API', text: `t=${clock(a.now)} POST /v1/charges attempt ${sent.attempt}${key}${sent.body === 'changed' ? ' CHANGED params' : ''}`, style: 'async' }];
    }
    case 'REQUEST_ARRIVES': {
      const arrival = a.arrivals[a.arrivals.length - 1]!;
      if (arrival.found === 'no_key') return [{ kind: 'note', over: ['API'], text: `attempt ${event.attempt} arrives: no key, process it` }];
      const items: SequenceItem[] = [
        { kind: 'message', from: 'API', to: 'Keys', text: `look up key (attempt ${event.attempt})` },
        { kind: 'message', from: 'Keys', to: 'API', text: arrival.found, style: 'reply' },
      ];
      const last = arrival.steps[arrival.steps.length - 1];
      if (last === 'process_request') items.push({ kind: 'message', from: 'API', to: 'Keys', text: arrival.found === 'unlocked' ? 'lock key again: resume from recovery point' : 'claim and lock key (started)' });
      const response = a.responses.find((r) => r.attempt === event.attempt && !b.responses.includes(r));
      if (response) items.push({ kind: 'note', over: ['API'], text: `${arrival.steps.slice(1).join(', ')} → ${statusText(response)}` });
      return items;
    }
    case 'API_CALLS_CARD_NETWORK': {
      const call = a.networkCalls.find((c) => c.attempt === event.attempt);
      if (!call) return [{ kind: 'note', over: ['API'], text: `attempt ${event.attempt} lost its lock: 409, no call` }];
      return [{ kind: 'message', from: 'API', to: 'Card', text: `charge (attempt ${event.attempt})${call.downstreamKey ? ` key ${call.downstreamKey}` : ', no key'}`, style: 'async' }];
    }
    case 'CARD_NETWORK_APPROVES':
    case 'CARD_NETWORK_FAILS': {
      const text = event.type === 'CARD_NETWORK_FAILS' ? 'error' : a.charges.length > b.charges.length ? `approved: charge #${a.charges.length}` : 'replayed first answer (no new charge)';
      const heard = held(a, event.attempt)?.stage === 'answered';
      return [{ kind: 'message', from: 'Card', to: 'API', text: `${text} (attempt ${event.attempt})${heard ? '' : ' — API gone'}`, style: heard ? 'reply' : 'lost' }];
    }
    case 'API_SAVES_RESULT': {
      const response = a.responses.find((r) => r.attempt === event.attempt && !b.responses.includes(r))!;
      if (response.status === 409) return [{ kind: 'note', over: ['API'], text: `attempt ${event.attempt} lost its lock: 409, nothing saved` }];
      return held(b, event.attempt)?.key ? [{ kind: 'message', from: 'API', to: 'Keys', text: `save ${statusText(response)} (completed)` }] : [];
    }
    case 'SERVER_CRASHES':
      return [{ kind: 'note', over: ['API'], text: 'server crashes: requests in memory lost, key records stay as they are' }];
    case 'RESPONSE_ARRIVES': {
      const response = b.responses.find((r) => r.attempt === event.attempt)!;
      return [{ kind: 'message', from: 'API', to: 'Merchant', text: `${statusText(response)} (attempt ${event.attempt})`, style: 'reply' }];
    }
    case 'CLIENT_TIMES_OUT': {
      const lost = b.responses.find((r) => r.attempt === b.client.attempt);
      const items: SequenceItem[] = lost ? [{ kind: 'message', from: 'API', to: 'Merchant', text: `${statusText(lost)} arrives too late`, style: 'lost' }] : [];
      items.push({ kind: 'note', over: ['Merchant'], text: `t=${clock(a.now)} timeout on attempt ${b.client.attempt}${a.client.phase === 'backing_off' ? `, retry at t=${clock(a.client.since)}` : ', gives up'}` });
      return items;
    }
    case 'LOCK_TIMES_OUT':
      return [{ kind: 'note', over: ['Keys'], text: `t=${clock(a.now)} lock times out: key released` }];
    case 'KEY_EXPIRES':
      return [{ kind: 'note', over: ['Keys'], text: `t=${clock(a.now)} key expires (TTL)` }];
    case 'TIME_PASSES':
      return [];
  }
}
