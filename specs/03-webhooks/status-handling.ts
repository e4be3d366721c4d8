/**
 * Task 3.2, status handling, simulated: what a dispatcher does with a 3xx, a 410 and a 429 is
 * judged by what it does to an endpoint that answers them, over many events on the answer's own
 * schedule, not by the choice's name. Deterministic: no jitter, no randomness.
 *
 * Three endpoints (the Standard Webhooks spec's suggested handling is the yardstick:
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * - moved: the merchant moved its server and left a redirect; every request gets a 301. An event
 *   counted delivered on a 3xx never reached a handler; one followed reaches a URL the merchant
 *   never registered (and every delivery costs two requests).
 * - gone: the merchant removed its integration; from some hour on every request gets 410 Gone
 *   ("no longer available … likely to be permanent", RFC 9110 §15.5.11).
 * - throttled: the endpoint rate-limits for half an hour; each request in that window gets 429
 *   with a Retry-After (RFC 6585 §4, RFC 9110 §10.2.3) naming the window's end.
 */
import type { StatusHandling } from './answer-types.ts';

const MINUTE = 60;
const HOUR = 3600;

export interface StatusRun {
  /** moved: events counted delivered though no handler saw them. */
  deliveredUnseen: number;
  /** moved: events sent on to a URL the merchant never registered. */
  sentToUnregisteredUrl: number;
  /** gone: requests sent after the endpoint first answered 410. */
  requestsAfterGone: number;
  /** throttled: requests sent before the time a Retry-After asked for. */
  requestsBeforeRetryAfter: number;
  /** throttled: events given up although the endpoint took requests again half an hour later. */
  eventsGivenUp: number;
}

/** One event's attempts on the schedule, each answered by `respond(at)`; returns nothing, counts through the callbacks. */
function deliver(created: number, delays: readonly number[], respond: (at: number) => 'stop' | { retryAt: number } | 'retry'): void {
  let at = created;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    const outcome = respond(at);
    if (outcome === 'stop') return;
    if (attempt === delays.length) return;
    at = outcome === 'retry' ? at + delays[attempt]! : Math.max(at + delays[attempt]!, outcome.retryAt);
  }
}

export function simulateStatusHandling(handling: StatusHandling, delays: readonly number[]): StatusRun {
  const run: StatusRun = { deliveredUnseen: 0, sentToUnregisteredUrl: 0, requestsAfterGone: 0, requestsBeforeRetryAfter: 0, eventsGivenUp: 0 };

  // moved: one event an hour for a day, every request answered 301.
  for (let e = 0; e < 24; e++) {
    deliver(e * HOUR, delays, () => {
      if (handling.redirect === 'success') return run.deliveredUnseen++, 'stop';
      if (handling.redirect === 'follow') return run.sentToUnregisteredUrl++, 'stop';
      return 'retry';
    });
  }

  // gone: one event an hour for a day; 200 until hour 6, 410 from then on.
  const goneFrom = 6 * HOUR;
  let firstGone: number | null = null;
  let disabled = false;
  const goneEvents = Array.from({ length: 24 }, (_, e) => e * HOUR);
  // Attempts in time order across events, so that a disabled endpoint stops every later one.
  const due: { at: number; created: number; attempt: number }[] = goneEvents.map((created) => ({ at: created, created, attempt: 0 }));
  while (due.length > 0) {
    due.sort((a, b) => a.at - b.at || a.created - b.created);
    const { at, created, attempt } = due.shift()!;
    if (disabled) continue;
    if (firstGone !== null) run.requestsAfterGone++;
    if (at < goneFrom) continue;
    firstGone ??= at;
    if (handling.gone === 'disable_endpoint') disabled = true;
    else if (handling.gone === 'retry' && attempt < delays.length) due.push({ at: at + delays[attempt]!, created, attempt: attempt + 1 });
  }

  // throttled: one event a minute for an hour; 429 with Retry-After until minute 30.
  const throttledUntil = 30 * MINUTE;
  for (let e = 0; e < 60; e++) {
    let askedFor = 0;
    deliver(e * MINUTE, delays, (at) => {
      if (at < askedFor) run.requestsBeforeRetryAfter++;
      if (at >= throttledUntil) return 'stop';
      askedFor = throttledUntil;
      if (handling.tooManyRequests === 'give_up') return run.eventsGivenUp++, 'stop';
      return handling.tooManyRequests === 'wait_retry_after' ? { retryAt: throttledUntil } : 'retry';
    });
  }
  return run;
}

/** What goes wrong for the receiver under this handling, in its terms and figures, or undefined. */
export function statusRunProblem(run: StatusRun, handling: StatusHandling): string | undefined {
  if (run.deliveredUnseen > 0) return `a 3xx counts as delivered: an endpoint that redirects every request had ${run.deliveredUnseen} of 24 events marked delivered that no handler ever saw, and not retried`;
  if (run.sentToUnregisteredUrl > 0) return `a 3xx is followed: ${run.sentToUnregisteredUrl} of 24 signed events went to a URL the merchant never registered, each delivery costing two requests`;
  if (run.requestsAfterGone > 0) {
    const how = handling.gone === 'retry' ? 'a 410 Gone is retried' : 'after a 410 Gone only this event stops';
    return `${how}: the endpoint said it wants no more webhooks, and ${run.requestsAfterGone} more requests were sent to it over the day`;
  }
  if (run.eventsGivenUp > 0) return `a 429 ends the event: ${run.eventsGivenUp} of 60 events were given up during half an hour of rate limiting, though the endpoint took requests again right after`;
  if (run.requestsBeforeRetryAfter > 0) return `a 429 with Retry-After is retried on the schedule: ${run.requestsBeforeRetryAfter} requests reached the endpoint before the time its Retry-After asked for`;
  return undefined;
}
