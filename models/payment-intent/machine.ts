/**
 * Stripe's PaymentIntent: one object per payment, whose status says what the payment needs
 * next (https://docs.stripe.com/payments/paymentintents/lifecycle):
 *
 *   requires_payment_method → requires_confirmation → (requires_action →) processing
 *     → requires_capture (manual capture) → succeeded, or → succeeded (automatic capture);
 *   a declined card or a failed authentication returns it to requires_payment_method;
 *   canceled from requires_payment_method, requires_confirmation, requires_action,
 *   requires_capture or, "in rare cases", processing (https://docs.stripe.com/api/payment_intents/cancel);
 *   an uncaptured authorisation that expires cancels it (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method);
 *   before it is confirmed, an intent's payment method may be replaced, and it stays in
 *   requires_confirmation (https://docs.stripe.com/api/payment_intents/update, `payment_method`);
 *   a confirm may itself supply the payment method (https://docs.stripe.com/api/payment_intents/confirm,
 *   `payment_method`), so an intent in requires_payment_method goes straight to requires_action
 *   or processing.
 *
 * The status machine is what makes retries safe: a confirm executes only while the intent
 * waits for one (requires_confirmation, or requires_payment_method when the confirm supplies
 * the payment method), so a confirm that arrives again finds the intent processing or
 * succeeded and cannot charge again. An idempotency key on the confirm adds that the retry
 * gets the first response replayed instead of an error
 * (https://docs.stripe.com/api/idempotent_requests). The client's retries are modelled as
 * confirm requests it may send up to `confirmAttempts` times, arriving in any order.
 *
 * Each status is a named state. `succeeded` and `canceled` are not XState final states: a late
 * retry can still arrive there, and the model shows that nothing happens to the intent.
 */
import { and, assign, setup } from 'xstate';

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export const statuses: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'canceled',
  'succeeded',
];

export const terminalStatuses: readonly PaymentIntentStatus[] = ['succeeded', 'canceled'];

export interface PaymentIntentConfig {
  /** The intent's amount, in minor units. */
  amountMinor: number;
  /** `manual`: confirm only authorises, a later capture takes the money; `automatic`: confirm captures. */
  captureMethod: 'automatic' | 'manual';
  /** How many confirm requests the client may send (1 + retries after timeouts). */
  confirmAttempts: number;
  /** Each retry of confirm reuses the first attempt's idempotency key, or sends a new one. */
  confirmRetryKey: 'same_key' | 'new_key';
  /** How many payment methods the customer may try (a declined card makes them try another). */
  maxPaymentMethods: number;
  /** May a payment method need 3-D Secure authentication? */
  authenticationMayBeRequired: boolean;
  /** May the card be declined? */
  cardMayDecline: boolean;
  /**
   * May the client supply the payment method in the confirm itself, from requires_payment_method?
   * Off in the retry configs, whose state space it would multiply without a new retry hazard.
   */
  confirmMaySupplyPaymentMethod: boolean;
}

export const scenarioConfig: PaymentIntentConfig = {
  amountMinor: 10_000,
  captureMethod: 'manual',
  confirmAttempts: 2,
  confirmRetryKey: 'same_key',
  maxPaymentMethods: 2,
  authenticationMayBeRequired: true,
  cardMayDecline: true,
  confirmMaySupplyPaymentMethod: false,
};

/** What a confirm request got back. */
export type ConfirmResponse = 'executed' | 'replayed' | 'unexpected_state_error';

export interface ConfirmResult {
  attempt: number;
  key: string;
  response: ConfirmResponse;
  /** The intent's status when the request arrived. */
  foundStatus: PaymentIntentStatus;
}

export interface ConfirmRequest {
  /** Numbered in the order the client sent them, over the intent's whole life. */
  attempt: number;
  /** The idempotency key it carries. */
  key: string;
  /** The payment method the confirm supplies (its `payment_method` parameter), or null. */
  supplies: null | { needsAuthentication: boolean };
}

export interface PaymentIntentContext {
  paymentMethodsTried: number;
  /** Does the attached payment method need 3-D Secure (and has the customer not done it yet)? */
  needsAuthentication: boolean;
  /** Confirm requests sent, in all. */
  confirmsSent: number;
  /** Confirm requests sent for the payment method attached now (the first one and its retries). */
  confirmsForThisPaymentMethod: number;
  /** Did the client supply the current payment method in its confirm (so its retries supply it too)? */
  confirmSuppliesPaymentMethod: boolean;
  /** Confirm requests in the network. */
  confirmsInFlight: ConfirmRequest[];
  /** Idempotency keys whose first response is saved. */
  savedKeys: string[];
  results: ConfirmResult[];
  /** Charges the card network approved for this intent (authorised, captured or not). */
  successfulCharges: number;
  /** Charges attempted and declined. */
  declinedCharges: number;
  authorisedMinor: number;
  capturedMinor: number;
}

export type PaymentIntentEvent =
  | { type: 'ATTACH_PAYMENT_METHOD'; needsAuthentication: boolean }
  | { type: 'CONFIRM_SENT'; withPaymentMethod?: { needsAuthentication: boolean } }
  | { type: 'CONFIRM_RECEIVED'; attempt: number }
  | { type: 'CUSTOMER_AUTHENTICATES' }
  | { type: 'AUTHENTICATION_FAILS' }
  | { type: 'CARD_AUTHORISED' }
  | { type: 'CARD_DECLINED' }
  | { type: 'CAPTURE'; amountMinor: number }
  | { type: 'CANCEL' }
  | { type: 'AUTHORISATION_EXPIRES' };

/**
 * The key of a confirm: one per payment method (the confirmation of that method) and, with
 * `new_key`, one per attempt as well. A new payment method is a new operation, so it gets a new
 * key: reusing the old one would replay the old card's decline.
 */
const keyFor = (config: PaymentIntentConfig, paymentMethod: number, attemptForMethod: number) =>
  config.confirmRetryKey === 'same_key' ? `confirm_pm${paymentMethod}` : `confirm_pm${paymentMethod}_${attemptForMethod}`;

type ActionArgs = { context: PaymentIntentContext; event: PaymentIntentEvent };

const arriving = (context: PaymentIntentContext, event: PaymentIntentEvent) =>
  context.confirmsInFlight.find((r) => event.type === 'CONFIRM_RECEIVED' && r.attempt === event.attempt);

/** The confirm request leaves the network with this response, saved under its key. */
function answerConfirm({ context, event }: ActionArgs, params: { response: ConfirmResponse; foundStatus: PaymentIntentStatus }) {
  const request = arriving(context, event)!;
  return {
    confirmsInFlight: context.confirmsInFlight.filter((r) => r !== request),
    savedKeys: params.response === 'replayed' ? context.savedKeys : [...context.savedKeys, request.key],
    results: [...context.results, { attempt: request.attempt, key: request.key, response: params.response, foundStatus: params.foundStatus }],
  };
}

export function createPaymentIntentModel(config: PaymentIntentConfig) {
  /** What a confirm that arrives in `status` gets: its saved response replayed, or an error. */
  const lateConfirm = (status: PaymentIntentStatus) => [
    { guard: and(['confirmInFlight', 'keyAlreadyAnswered']), actions: { type: 'replaySavedResponse' as const, params: { response: 'replayed' as const, foundStatus: status } } },
    { guard: 'confirmInFlight' as const, actions: { type: 'refuseUnexpectedState' as const, params: { response: 'unexpected_state_error' as const, foundStatus: status } } },
  ];

  return setup({
    types: {
      context: {} as PaymentIntentContext,
      events: {} as PaymentIntentEvent,
    },
    guards: {
      anotherPaymentMethodAllowed: ({ context }) => context.paymentMethodsTried < config.maxPaymentMethods,
      authenticationMayBeRequired: ({ event }) =>
        event.type !== 'ATTACH_PAYMENT_METHOD' || !event.needsAuthentication || config.authenticationMayBeRequired,
      clientMayConfirm: ({ context }) => context.confirmsForThisPaymentMethod < config.confirmAttempts,
      // The payment method may be replaced only before it is confirmed: once a confirm is sent,
      // the client does not know whether it has been executed.
      noConfirmSentYet: ({ context }) => context.confirmsForThisPaymentMethod === 0,
      // A retry: the client already sent a confirm for this payment method and heard nothing.
      clientMayRetryConfirm: ({ context }) =>
        context.confirmsForThisPaymentMethod > 0 && context.confirmsForThisPaymentMethod < config.confirmAttempts,
      confirmInFlight: ({ context, event }) => arriving(context, event) !== undefined,
      confirmSuppliesPaymentMethod: ({ context, event }) => arriving(context, event)?.supplies != null,
      suppliedMethodNeedsAuthentication: ({ context, event }) => arriving(context, event)?.supplies?.needsAuthentication === true,
      suppliesPaymentMethod: ({ event }) => config.confirmMaySupplyPaymentMethod && event.type === 'CONFIRM_SENT' && event.withPaymentMethod !== undefined,
      suppliedMethodMayNeedAuthentication: ({ event }) => event.type !== 'CONFIRM_SENT' || !event.withPaymentMethod?.needsAuthentication || config.authenticationMayBeRequired,
      isPlainConfirm: ({ event }) => event.type === 'CONFIRM_SENT' && event.withPaymentMethod === undefined,
      keyAlreadyAnswered: ({ context, event }) => context.savedKeys.includes(arriving(context, event)?.key ?? ''),
      paymentMethodNeedsAuthentication: ({ context }) => context.needsAuthentication,
      manualCapture: () => config.captureMethod === 'manual',
      cardMayDecline: () => config.cardMayDecline,
      withinAuthorisedAmount: ({ context, event }) =>
        event.type === 'CAPTURE' && event.amountMinor > 0 && event.amountMinor <= context.authorisedMinor,
    },
    actions: {
      attachPaymentMethod: assign(({ context, event }) => ({
        paymentMethodsTried: context.paymentMethodsTried + 1,
        confirmsForThisPaymentMethod: 0,
        confirmSuppliesPaymentMethod: false,
        needsAuthentication: event.type === 'ATTACH_PAYMENT_METHOD' && event.needsAuthentication,
      })),
      // The confirm names the card itself: the payment method is attached by the confirm.
      supplyPaymentMethod: assign(({ context, event }) => ({
        paymentMethodsTried: context.paymentMethodsTried + 1,
        confirmsForThisPaymentMethod: 0,
        confirmSuppliesPaymentMethod: true,
        needsAuthentication: event.type === 'CONFIRM_SENT' && event.withPaymentMethod?.needsAuthentication === true,
      })),
      adoptSuppliedMethod: assign(({ context, event }) => ({ needsAuthentication: arriving(context, event)?.supplies?.needsAuthentication === true })),
      sendConfirm: assign(({ context }) => ({
        confirmsSent: context.confirmsSent + 1,
        confirmsForThisPaymentMethod: context.confirmsForThisPaymentMethod + 1,
        confirmsInFlight: [
          ...context.confirmsInFlight,
          {
            attempt: context.confirmsSent + 1,
            key: keyFor(config, context.paymentMethodsTried, context.confirmsForThisPaymentMethod + 1),
            supplies: context.confirmSuppliesPaymentMethod ? { needsAuthentication: context.needsAuthentication } : null,
          },
        ],
      })),
      executeConfirm: assign(answerConfirm),
      replaySavedResponse: assign(answerConfirm),
      refuseUnexpectedState: assign(answerConfirm),
      markAuthenticated: assign({ needsAuthentication: false }),
      authoriseOnly: assign(({ context }) => ({
        successfulCharges: context.successfulCharges + 1,
        authorisedMinor: config.amountMinor,
      })),
      authoriseAndCapture: assign(({ context }) => ({
        successfulCharges: context.successfulCharges + 1,
        authorisedMinor: config.amountMinor,
        capturedMinor: config.amountMinor,
      })),
      recordDecline: assign(({ context }) => ({ declinedCharges: context.declinedCharges + 1 })),
      capture: assign(({ event }) => ({ capturedMinor: event.type === 'CAPTURE' ? event.amountMinor : 0 })),
      // Canceling an uncaptured intent releases the hold on the card.
      releaseAuthorisation: assign({ authorisedMinor: 0 }),
    },
  }).createMachine({
    id: 'paymentIntent',
    context: {
      paymentMethodsTried: 0,
      needsAuthentication: false,
      confirmsSent: 0,
      confirmsForThisPaymentMethod: 0,
      confirmSuppliesPaymentMethod: false,
      confirmsInFlight: [],
      savedKeys: [],
      results: [],
      successfulCharges: 0,
      declinedCharges: 0,
      authorisedMinor: 0,
      capturedMinor: 0,
    },
    initial: 'requires_payment_method',
    states: {
      requires_payment_method: {
        on: {
          ATTACH_PAYMENT_METHOD: {
            guard: and(['anotherPaymentMethodAllowed', 'authenticationMayBeRequired']),
            target: 'requires_confirmation',
            actions: 'attachPaymentMethod',
          },
          // A confirm that supplies its payment method: attach and confirm in one request.
          CONFIRM_SENT: {
            guard: and(['suppliesPaymentMethod', 'anotherPaymentMethodAllowed', 'suppliedMethodMayNeedAuthentication']),
            actions: ['supplyPaymentMethod', 'sendConfirm'],
          },
          CONFIRM_RECEIVED: [
            lateConfirm('requires_payment_method')[0]!,
            {
              guard: and(['confirmInFlight', 'confirmSuppliesPaymentMethod', 'suppliedMethodNeedsAuthentication']),
              target: 'requires_action',
              actions: ['adoptSuppliedMethod', { type: 'executeConfirm', params: { response: 'executed', foundStatus: 'requires_payment_method' } }],
            },
            {
              guard: and(['confirmInFlight', 'confirmSuppliesPaymentMethod']),
              target: 'processing',
              actions: ['adoptSuppliedMethod', { type: 'executeConfirm', params: { response: 'executed', foundStatus: 'requires_payment_method' } }],
            },
            lateConfirm('requires_payment_method')[1]!,
          ],
          CANCEL: { target: 'canceled' },
        },
      },
      requires_confirmation: {
        on: {
          ATTACH_PAYMENT_METHOD: {
            guard: and(['noConfirmSentYet', 'anotherPaymentMethodAllowed', 'authenticationMayBeRequired']),
            actions: 'attachPaymentMethod',
          },
          CONFIRM_SENT: { guard: 'clientMayConfirm', actions: 'sendConfirm' },
          CONFIRM_RECEIVED: [
            lateConfirm('requires_confirmation')[0]!,
            {
              guard: and(['confirmInFlight', 'paymentMethodNeedsAuthentication']),
              target: 'requires_action',
              actions: { type: 'executeConfirm', params: { response: 'executed', foundStatus: 'requires_confirmation' } },
            },
            {
              guard: 'confirmInFlight',
              target: 'processing',
              actions: { type: 'executeConfirm', params: { response: 'executed', foundStatus: 'requires_confirmation' } },
            },
          ],
          CANCEL: { target: 'canceled' },
        },
      },
      requires_action: {
        on: {
          CUSTOMER_AUTHENTICATES: { target: 'processing', actions: 'markAuthenticated' },
          AUTHENTICATION_FAILS: { target: 'requires_payment_method' },
          CONFIRM_RECEIVED: lateConfirm('requires_action'),
          CANCEL: { target: 'canceled' },
        },
      },
      processing: {
        on: {
          CARD_AUTHORISED: [
            { guard: 'manualCapture', target: 'requires_capture', actions: 'authoriseOnly' },
            { target: 'succeeded', actions: 'authoriseAndCapture' },
          ],
          CARD_DECLINED: { guard: 'cardMayDecline', target: 'requires_payment_method', actions: 'recordDecline' },
          CONFIRM_RECEIVED: lateConfirm('processing'),
          // "In rare cases" (https://docs.stripe.com/api/payment_intents/cancel): a payment still
          // processing is canceled, and no charge is made.
          CANCEL: { target: 'canceled' },
        },
      },
      requires_capture: {
        on: {
          CAPTURE: { guard: 'withinAuthorisedAmount', target: 'succeeded', actions: 'capture' },
          CANCEL: { target: 'canceled', actions: 'releaseAuthorisation' },
          AUTHORISATION_EXPIRES: { target: 'canceled', actions: 'releaseAuthorisation' },
          CONFIRM_RECEIVED: lateConfirm('requires_capture'),
        },
      },
      succeeded: { on: { CONFIRM_RECEIVED: lateConfirm('succeeded') } },
      canceled: { on: { CONFIRM_RECEIVED: lateConfirm('canceled') } },
    },
    // Whatever the status, a client that timed out may still retry its confirm: it does not
    // know what became of the first one.
    on: {
      CONFIRM_SENT: { guard: and(['isPlainConfirm', 'clientMayRetryConfirm']), actions: 'sendConfirm' },
    },
  });
}

export type PaymentIntentModel = ReturnType<typeof createPaymentIntentModel>;
export type PaymentIntentSnapshot = { value: unknown; context: PaymentIntentContext };

export const statusOf = (snapshot: { value: unknown }) => snapshot.value as PaymentIntentStatus;

/** Every event instance worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(snapshot: { context: PaymentIntentContext }, config: PaymentIntentConfig): PaymentIntentEvent[] {
  const events: PaymentIntentEvent[] = [
    { type: 'ATTACH_PAYMENT_METHOD', needsAuthentication: false },
    { type: 'ATTACH_PAYMENT_METHOD', needsAuthentication: true },
    { type: 'CONFIRM_SENT' },
    { type: 'CONFIRM_SENT', withPaymentMethod: { needsAuthentication: false } },
    { type: 'CONFIRM_SENT', withPaymentMethod: { needsAuthentication: true } },
    { type: 'CUSTOMER_AUTHENTICATES' },
    { type: 'AUTHENTICATION_FAILS' },
    { type: 'CARD_AUTHORISED' },
    { type: 'CARD_DECLINED' },
    // A partial capture, a full one, and one over the authorised amount (which must be refused).
    { type: 'CAPTURE', amountMinor: Math.floor(config.amountMinor / 2) },
    { type: 'CAPTURE', amountMinor: config.amountMinor },
    { type: 'CAPTURE', amountMinor: config.amountMinor + 1 },
    { type: 'CANCEL' },
    { type: 'AUTHORISATION_EXPIRES' },
  ];
  for (const request of snapshot.context.confirmsInFlight) events.push({ type: 'CONFIRM_RECEIVED', attempt: request.attempt });
  return events;
}
