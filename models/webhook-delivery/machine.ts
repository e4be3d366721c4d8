/**
 * Delivery of one webhook event to one merchant endpoint, with the merchant's handler behind it.
 *
 * One flat machine, like the idempotency store's: the protocol lives in context and every step
 * of every actor (the dispatcher, the network, the merchant's server, the clock) is a guarded
 * event, so that the explorer tries every interleaving and every failure. Time moves only by
 * `TIME_PASSES`, which jumps to the next deadline (an attempt's response timeout, a scheduled
 * retry); a timed event that is due must fire before time moves on.
 *
 * The event's life: pending → attempting → delivered, or → scheduled_retry → attempting → …
 * until the retry schedule runs out; then the terminal policy applies (dead-letter or discard,
 * notify the merchant, and disable the endpoint if the policy does so for one exhausted event).
 * A dead-lettered event may be replayed once the merchant has fixed its server. The dispatcher
 * follows the schedule it is given as it is: whether that schedule respects the promised window
 * (`deadlineSeconds`) is for the invariants to check, not for the model to assume.
 *
 * Stripe's documented behaviour is the reference (https://docs.stripe.com/webhooks): a 2xx
 * response acknowledges an event; anything else, or no answer in time, is a failed attempt; in
 * live mode Stripe retries with exponential backoff for up to three days; an endpoint may
 * receive the same event more than once.
 */
import { assign, setup } from 'xstate';
import { naiveHandler, emptyMerchantState, type MerchantState, type WebhookEvent } from './merchant.ts';
import { exampleRetryDelaysSeconds, webhookScenario } from './scenario.ts';

export type { MerchantState, WebhookEvent };

/** A handler on the merchant's server: the state after it has processed one delivery. */
export type WebhookHandler = (state: MerchantState, event: WebhookEvent) => MerchantState;

/**
 * What happens to an event whose last scheduled attempt has failed, and to an endpoint that keeps
 * failing. The event's fate and the endpoint's health are separate questions: one event may fail
 * everywhere (a payload that crashes the merchant's handler) while the endpoint answers 2xx to
 * every other event.
 */
export interface TerminalPolicy {
  /** Keep the event in a dead-letter store, or throw it away. */
  event: 'dead_letter' | 'discard';
  /** Tell the merchant (email, dashboard) that events failed and await replay. */
  notifyMerchant: boolean;
  /** Let the merchant replay dead-lettered events once its server is fixed. */
  allowReplay: boolean;
  /**
   * When the endpoint is disabled (no more events sent to it until the merchant re-enables it):
   * as soon as one event runs out of retries, after failing across events for days with no 2xx,
   * or never.
   */
  endpoint: 'disable_when_an_event_runs_out' | 'disable_after_sustained_failure' | 'keep_enabled';
  /** E-mail the merchant while its endpoint is failing, before it is disabled. */
  warnBeforeDisabling: boolean;
  /**
   * How a merchant finds what it missed besides the dead letters: a list of undelivered events
   * (as Stripe's Events API with delivery_success=false, the last 30 days), or nothing.
   */
  backstop: 'list_undelivered_events' | 'none';
}

export interface FailureModes {
  /** The merchant's server may answer 5xx (or refuse the connection) without processing. */
  merchantErrors: boolean;
  /** The merchant's server may not answer before the timeout (slow, or down and hanging). */
  merchantSlow: boolean;
  /** The merchant may process the event and its 2xx be lost on the way back. */
  acksMayBeLost: boolean;
}

export interface WebhookDeliveryConfig {
  /** The event being delivered. */
  event: WebhookEvent;
  /** Delay before retry n (1-based) after attempt n failed, in seconds; its length bounds the attempts. */
  retryDelaysSeconds: readonly number[];
  /** No automatic attempt may start later than this after the event was created (the promised window: 72 h in the scenario). */
  deadlineSeconds: number;
  /** An attempt with no response after this long has failed, in seconds. */
  responseTimeoutSeconds: number;
  failureModes: FailureModes;
  /** The merchant's handler. */
  handler: WebhookHandler;
  terminalPolicy: TerminalPolicy;
  /** How many times the merchant may replay a dead-lettered event (bounds the model). */
  maxReplays: number;
}

/**
 * The model's example schedule (scenario.ts: doubling from 5 min, 8 retries by default): a
 * schedule to explore when no 3.2 answer is given, not the chapter's answer.
 */
export const scenarioRetryDelaysSeconds: readonly number[] = exampleRetryDelaysSeconds();

/** The payment.succeeded event of the exercise: order 1842, of the scenario's amount (10000 minor units, $100.00, by default). */
export const scenarioEvent: WebhookEvent = {
  id: 'evt_1842',
  type: 'payment_intent.succeeded',
  created: 0,
  orderId: 'order_1842',
  amountMinor: webhookScenario.paymentAmountMinor,
};

/**
 * The scenario's policy for its one event: kept, the merchant told, replay allowed. The endpoint
 * fields matter to one event only when the endpoint is disabled as soon as an event runs out;
 * the chapter's design for them is the 3.4 answer.
 */
export const scenarioTerminalPolicy: TerminalPolicy = {
  event: 'dead_letter',
  notifyMerchant: true,
  allowReplay: true,
  endpoint: 'keep_enabled',
  warnBeforeDisabling: false,
  backstop: 'none',
};

/** The scenario: every failure mode on, a naive handler, and the reference terminal policy. */
export const scenarioConfig: WebhookDeliveryConfig = {
  event: scenarioEvent,
  retryDelaysSeconds: scenarioRetryDelaysSeconds,
  deadlineSeconds: webhookScenario.promiseHours * 3600,
  responseTimeoutSeconds: webhookScenario.responseTimeoutSeconds,
  failureModes: { merchantErrors: true, merchantSlow: true, acksMayBeLost: true },
  handler: naiveHandler,
  terminalPolicy: scenarioTerminalPolicy,
  maxReplays: 1,
};

export type DeliveryStatus = 'pending' | 'attempting' | 'scheduled_retry' | 'delivered' | 'dead_lettered' | 'discarded';

/** The attempt most recently sent. */
export interface Attempt {
  /** 1 for the first attempt; replays continue the count. */
  number: number;
  /** When it was sent, in seconds after the event was created. */
  at: number;
  /** Sent by the retry schedule, or by the merchant's replay of a dead-lettered event. */
  kind: 'automatic' | 'replay';
}

/** What is on the wire for the current attempt. */
export type Wire = 'idle' | 'request' | 'ok_response' | 'error_response';

/**
 * Only what the future depends on, plus the last two waits and the last attempt (what the
 * invariants read): no history of attempts, so that runs that differ only in the order of past
 * failures meet in the same state and the space stays small enough to explore whole.
 */
export interface WebhookContext {
  now: number;
  status: DeliveryStatus;
  /** The last attempt sent, or null before the first. */
  attempt: Attempt | null;
  /** Automatic attempts sent so far (replays not counted). */
  automaticAttempts: number;
  /** The delay waited before the latest retry, and before the one before it, in seconds. */
  lastWait: number | null;
  previousWait: number | null;
  /** When the scheduled retry is due. */
  nextAttemptAt: number;
  wire: Wire;
  endpoint: 'enabled' | 'disabled';
  merchantNotified: boolean;
  replays: number;
  merchant: MerchantState;
  /** How many deliveries reached the merchant's handler. */
  deliveriesHandled: number;
}

export type WebhookDeliveryEvent =
  | { type: 'DISPATCH' }
  | { type: 'MERCHANT_HANDLES' }
  | { type: 'MERCHANT_ERRORS' }
  | { type: 'RESPONSE_ARRIVES' }
  | { type: 'ACK_LOST' }
  | { type: 'ATTEMPT_TIMES_OUT' }
  | { type: 'MERCHANT_REPLAYS' }
  | { type: 'TIME_PASSES' };

/** Every instant at which some timed event becomes due. */
export function deadlines(context: WebhookContext, config: WebhookDeliveryConfig): number[] {
  if (context.status === 'attempting') return [context.attempt!.at + config.responseTimeoutSeconds];
  if (context.status === 'scheduled_retry') return [context.nextAttemptAt];
  return [];
}

/** The failed attempt's consequence: the next retry of the schedule, or the terminal policy. */
function afterFailure(context: WebhookContext, config: WebhookDeliveryConfig): Partial<WebhookContext> {
  const delay = context.attempt!.kind === 'automatic' ? config.retryDelaysSeconds[context.automaticAttempts - 1] : undefined;
  if (delay !== undefined) {
    return { wire: 'idle', status: 'scheduled_retry', nextAttemptAt: context.now + delay, previousWait: context.lastWait, lastWait: delay };
  }
  const policy = config.terminalPolicy;
  return {
    wire: 'idle',
    status: policy.event === 'dead_letter' ? 'dead_lettered' : 'discarded',
    // One event, one endpoint: only a policy that disables the endpoint when an event runs out
    // does so here; sustained failure across events is the endpoint-health simulation's.
    endpoint: policy.endpoint === 'disable_when_an_event_runs_out' ? 'disabled' : context.endpoint,
    merchantNotified: context.merchantNotified || policy.notifyMerchant,
  };
}

export function createWebhookDeliveryModel(config: WebhookDeliveryConfig) {
  const modes = config.failureModes;
  return setup({
    types: {
      context: {} as WebhookContext,
      events: {} as WebhookDeliveryEvent,
    },
    guards: {
      dispatchDue: ({ context }) =>
        context.endpoint === 'enabled' &&
        (context.status === 'pending' || (context.status === 'scheduled_retry' && context.now >= context.nextAttemptAt)),
      requestOnWire: ({ context }) => context.wire === 'request',
      merchantMayError: ({ context }) => modes.merchantErrors && context.wire === 'request',
      responseOnWire: ({ context }) => context.wire === 'ok_response' || context.wire === 'error_response',
      ackOnWireMayBeLost: ({ context }) => modes.acksMayBeLost && context.wire === 'ok_response',
      responseTimeoutDue: ({ context }) =>
        context.status === 'attempting' && context.now >= context.attempt!.at + config.responseTimeoutSeconds,
      merchantMayReplay: ({ context }) =>
        context.status === 'dead_lettered' && config.terminalPolicy.allowReplay && context.replays < config.maxReplays,
      // Time moves on only when nothing timed is due now and something is due later; while a
      // request is on the wire, only if the merchant may be slower than the timeout. A response
      // on the wire arrives or is lost (ACK_LOST) first: a 2xx that comes too late is lost too.
      nothingDueNow: ({ context }) => {
        const due = deadlines(context, config);
        return due.length > 0 && due.every((t) => t > context.now) && (context.wire === 'idle' || (modes.merchantSlow && context.wire === 'request'));
      },
    },
    actions: {
      sendAttempt: assign(({ context }) => ({
        status: 'attempting' as const,
        wire: 'request' as const,
        automaticAttempts: context.automaticAttempts + 1,
        attempt: { number: (context.attempt?.number ?? 0) + 1, at: context.now, kind: 'automatic' as const },
      })),
      // The handler gets a copy: a handler that changes its argument in place must not reach
      // back into states the explorer has already recorded.
      runHandler: assign(({ context }) => ({
        merchant: config.handler(structuredClone(context.merchant), config.event),
        deliveriesHandled: context.deliveriesHandled + 1,
        wire: 'ok_response' as const,
      })),
      answerError: assign({ wire: 'error_response' as const }),
      takeResponse: assign(({ context }) => {
        if (context.wire === 'error_response') return afterFailure(context, config);
        return { wire: 'idle' as const, status: 'delivered' as const };
      }),
      loseAck: assign({ wire: 'idle' as const }),
      // The dispatcher closes the connection: whatever is still on the wire is lost.
      giveUpOnAttempt: assign(({ context }) => afterFailure(context, config)),
      replay: assign(({ context }) => ({
        replays: context.replays + 1,
        endpoint: 'enabled' as const,
        status: 'attempting' as const,
        wire: 'request' as const,
        attempt: { number: (context.attempt?.number ?? 0) + 1, at: context.now, kind: 'replay' as const },
      })),
      advanceClock: assign(({ context }) => ({
        now: Math.min(...deadlines(context, config).filter((t) => t > context.now)),
      })),
    },
  }).createMachine({
    id: 'webhookDelivery',
    context: {
      now: 0,
      status: 'pending',
      attempt: null,
      automaticAttempts: 0,
      lastWait: null,
      previousWait: null,
      nextAttemptAt: 0,
      wire: 'idle',
      endpoint: 'enabled',
      merchantNotified: false,
      replays: 0,
      merchant: emptyMerchantState(),
      deliveriesHandled: 0,
    },
    initial: 'running',
    states: {
      running: {
        on: {
          DISPATCH: { guard: 'dispatchDue', actions: 'sendAttempt' },
          MERCHANT_HANDLES: { guard: 'requestOnWire', actions: 'runHandler' },
          MERCHANT_ERRORS: { guard: 'merchantMayError', actions: 'answerError' },
          RESPONSE_ARRIVES: { guard: 'responseOnWire', actions: 'takeResponse' },
          ACK_LOST: { guard: 'ackOnWireMayBeLost', actions: 'loseAck' },
          ATTEMPT_TIMES_OUT: { guard: 'responseTimeoutDue', actions: 'giveUpOnAttempt' },
          MERCHANT_REPLAYS: { guard: 'merchantMayReplay', actions: 'replay' },
          TIME_PASSES: { guard: 'nothingDueNow', actions: 'advanceClock' },
        },
      },
    },
  });
}

export type WebhookDeliveryModel = ReturnType<typeof createWebhookDeliveryModel>;

const everyEvent: WebhookDeliveryEvent[] = [
  { type: 'DISPATCH' },
  { type: 'MERCHANT_HANDLES' },
  { type: 'MERCHANT_ERRORS' },
  { type: 'RESPONSE_ARRIVES' },
  { type: 'ACK_LOST' },
  { type: 'ATTEMPT_TIMES_OUT' },
  { type: 'MERCHANT_REPLAYS' },
  { type: 'TIME_PASSES' },
];

/** Every event worth trying in a state (none carries a payload); the explorer skips disabled ones. */
export function candidateEvents(): WebhookDeliveryEvent[] {
  return everyEvent;
}
