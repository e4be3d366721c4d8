/**
 * Task 3.4: one merchant's endpoint over days, many events, under a terminal policy — what the
 * one-event model cannot show. An event running out of retries is about that event; an endpoint
 * failing across events for days is about the endpoint. Disabling the endpoint for the first lets
 * one event that no server can handle (a poison event) cut off every later event of a healthy
 * endpoint; disabling it for the second stops sending to a server that is gone, and Stripe warns
 * by e-mail first and offers the Events API (`delivery_success=false`, the last 30 days) to find
 * what was missed (https://docs.stripe.com/webhooks, https://docs.stripe.com/api/events/list).
 *
 * Plain TypeScript, deterministic: events are created at a steady rate, each attempted on the
 * 3.2 answer's schedule (base delays, no jitter); the endpoint either fails one event forever
 * (the poison scenario) or is down for days (the outage scenario). The merchant fixes its server
 * and re-enables the endpoint a day after it is told, then replays what it can find, oldest first.
 */
import type { TerminalPolicy } from './answer-types.ts';
import { webhookScenario } from '../../models/webhook-delivery/scenario.ts';

/** What a scenario is called in messages and figures. */
export type HealthScenarioName = string;

export interface HealthScenario {
  name: HealthScenarioName;
  /** One event every this many seconds, for `days`. */
  everySeconds: number;
  days: number;
  /** Whether an attempt of event i at time t succeeds. */
  succeeds: (event: number, at: number) => boolean;
  /** When the merchant's server can answer again (the outage's end); 0 when only a handler bug needs fixing. */
  fixedAt: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The platform's endpoint-health thresholds (Stripe's are "multiple days"; these are this design's). */
export const WARN_AFTER_SECONDS = 1 * DAY;
export const DISABLE_AFTER_SECONDS = 3 * DAY;
/** The merchant acts this long after it is told (a warning, a notice, a disabled endpoint). */
export const MERCHANT_REACTS_AFTER_SECONDS = webhookScenario.merchantReactsHours * HOUR;
/** How far back a list of undelivered events reaches (Stripe's Events API: 30 days). */
export const BACKSTOP_REACH_SECONDS = 30 * DAY;

/** How long the merchant's server is down in the outage scenario. */
export const OUTAGE_SECONDS = webhookScenario.outageDays * DAY;

export const healthScenarios: HealthScenario[] = [
  // Event 0's payload crashes the merchant's handler every time; every other event is fine.
  { name: 'poison event', everySeconds: HOUR, days: 6, succeeds: (event) => event !== 0, fixedAt: 0 },
  // The merchant's server is down for days.
  { name: 'long outage', everySeconds: HOUR, days: webhookScenario.outageDays + 3, succeeds: (_, at) => at >= OUTAGE_SECONDS, fixedAt: OUTAGE_SECONDS },
];

export interface HealthRun {
  scenario: HealthScenarioName;
  events: number;
  attempts: number;
  /** Delivered by the dispatcher's own attempts. */
  deliveredAutomatically: number;
  /** Recovered by the merchant afterwards: replayed from the dead letters, or found by the backstop. */
  recovered: number;
  /** Never delivered, and nothing left to recover them by. */
  lost: number;
  /** Events that the dispatcher held back while the endpoint was answering 2xx to other events. */
  heldBackFromHealthyEndpoint: number;
  warnedAt: number | null;
  disabledAt: number | null;
  notifiedAt: number | null;
}

type Fate = 'pending' | 'delivered' | 'dead_lettered' | 'discarded' | 'never_sent';

/** Runs one scenario under a policy and a schedule (base delays, in seconds). */
export function simulateEndpointHealth(scenario: HealthScenario, policy: TerminalPolicy, delays: readonly number[]): HealthRun {
  const count = Math.round((scenario.days * DAY) / scenario.everySeconds);
  const fate: Fate[] = Array.from({ length: count }, () => 'pending');
  const tries = new Array<number>(count).fill(0);
  // Attempts due, kept sorted by time (then event), earliest last so that pop() takes it.
  const due: [number, number][] = [];
  const schedule = (at: number, event: number) => {
    let i = due.length;
    while (i > 0 && (due[i - 1]![0] < at || (due[i - 1]![0] === at && due[i - 1]![1] < event))) i--;
    due.splice(i, 0, [at, event]);
  };
  for (let e = 0; e < count; e++) schedule(e * scenario.everySeconds, e);
  let attempts = 0;
  let lastSuccess = 0;
  let failingSince: number | null = null;
  let [warnedAt, disabledAt, notifiedAt] = [null as number | null, null as number | null, null as number | null];
  let heldBack = 0;
  // Whether the endpoint was answering 2xx to other events when it was disabled.
  let disabledWhileHealthy = false;
  // The endpoint is off from `disabledAt` until the merchant, told, re-enables it.
  let off = false;
  let reenableAt = Infinity;
  const disable = (at: number) => {
    disabledAt ??= at;
    off = true;
    reenableAt = Math.max(at + MERCHANT_REACTS_AFTER_SECONDS, scenario.fixedAt);
    disabledWhileHealthy = lastSuccess > 0 && at - lastSuccess < WARN_AFTER_SECONDS;
    tell(at);
  };
  const tell = (at: number) => {
    notifiedAt ??= at;
  };
  while (due.length > 0) {
    const [at, e] = due.pop()!;
    if (off && at >= reenableAt) {
      off = false;
      failingSince = null;
    }
    if (off) {
      // The endpoint is off: nothing more is sent (Stripe does not resend events created while
      // an endpoint is disabled). A healthy endpoint held back counts against the policy.
      fate[e] = 'never_sent';
      if (disabledWhileHealthy && scenario.succeeds(e, at)) heldBack++;
      continue;
    }
    attempts++;
    tries[e]!++;
    if (scenario.succeeds(e, at)) {
      fate[e] = 'delivered';
      lastSuccess = at;
      failingSince = null;
      continue;
    }
    // Failing across events since the last 2xx to any of them.
    failingSince ??= at;
    const sustained = at - failingSince;
    if (policy.endpoint === 'disable_after_sustained_failure') {
      if (sustained >= WARN_AFTER_SECONDS && warnedAt === null && policy.warnBeforeDisabling) {
        warnedAt = at;
        tell(at);
      }
      if (sustained >= DISABLE_AFTER_SECONDS) disable(at);
    }
    const delay = delays[tries[e]! - 1];
    if (off) {
      fate[e] = 'never_sent';
      continue;
    }
    if (delay !== undefined) {
      schedule(at + delay, e);
      continue;
    }
    // The event's schedule ran out.
    fate[e] = policy.event === 'dead_letter' ? 'dead_lettered' : 'discarded';
    if (policy.notifyMerchant) tell(at);
    if (policy.endpoint === 'disable_when_an_event_runs_out') disable(at);
  }
  // Afterwards, the merchant: told at `notifiedAt`, it fixes its server and recovers what it
  // can find, oldest first (by `created`: a list of events comes newest first).
  let recovered = 0;
  let lost = 0;
  const recoversAt = notifiedAt === null ? null : Math.max(notifiedAt + MERCHANT_REACTS_AFTER_SECONDS, scenario.fixedAt);
  for (let e = 0; e < count; e++) {
    const f = fate[e]!;
    if (f === 'delivered') continue;
    const created = e * scenario.everySeconds;
    const findable =
      recoversAt !== null &&
      ((f === 'dead_lettered' && policy.allowReplay) || (policy.backstop === 'list_undelivered_events' && f !== 'discarded' && recoversAt - created <= BACKSTOP_REACH_SECONDS));
    if (findable) recovered++;
    else lost++;
  }
  return {
    scenario: scenario.name,
    events: count,
    attempts,
    deliveredAutomatically: fate.filter((f) => f === 'delivered').length,
    recovered,
    lost,
    heldBackFromHealthyEndpoint: heldBack,
    warnedAt,
    disabledAt,
    notifiedAt,
  };
}

/** What goes wrong for the merchant under a policy, in its terms, or undefined. */
export function endpointHealthProblem(runs: readonly HealthRun[]): string | undefined {
  const h = (s: number) => `${+(s / 3600).toFixed(1)} h`;
  for (const run of runs) {
    if (run.heldBackFromHealthyEndpoint > 0) {
      return `${run.scenario}: one event that fails on every attempt disabled an endpoint that was answering 2xx to the others, and ${run.heldBackFromHealthyEndpoint} of the merchant's later events were not sent at all`;
    }
    if (run.disabledAt !== null && run.warnedAt === null) {
      return `${run.scenario}: the endpoint was disabled at ${h(run.disabledAt)} with no warning before it: the merchant learns of the failure once its events have already stopped`;
    }
    if (run.lost > 0) {
      return `${run.scenario}: ${run.lost} of ${run.events} events were never delivered and the merchant has no way left to find them${run.disabledAt !== null ? ' (events created while the endpoint was disabled are never sent)' : ''}`;
    }
  }
  return undefined;
}
