/**
 * What the payment service does after an authorisation request to acquirer A timed out: the
 * service does not know whether the issuer approved it. A timeout is not a decline: the
 * request may have reached the issuer and been approved, holding the cardholder's funds, with
 * only the answer lost. That is why processors offer a timeout reversal, sent for an
 * authorisation whose response never came (Cybersource, "Timeout Authorization Reversals":
 * https://developer.cybersource.com/docs/cybs/en-us/payments/developer/ctv/so/payments/payments-processing-basic-intro/payments-timeout-auth-reversals-intro.html).
 *
 * The model runs a recovery plan, one step at a time, against both fates of the lost request
 * (the issuer approved it, or never saw it or declined it), settled in any order with the
 * service's steps (which cannot see it), and against both answers of
 * acquirer B when the payment is rerouted. A reversal is sent until it is acknowledged (the
 * plan's step ends with the acknowledgement); an acknowledged reversal releases the hold if
 * there was one.
 */
import { and, assign, setup } from 'xstate';

export type RecoveryStep = 'reverse_timed_out_authorisation' | 'reroute_to_another_acquirer' | 'decline_payment';
export const recoverySteps: readonly RecoveryStep[] = ['reverse_timed_out_authorisation', 'reroute_to_another_acquirer', 'decline_payment'];

export interface TimeoutRecoveryConfig {
  /** The steps the service takes after the timeout, in order. */
  plan: readonly RecoveryStep[];
}

export type LostRequestFate = 'unknown' | 'approved' | 'not_approved';
export type PaymentAnswer = 'none' | 'paid' | 'declined';

export interface TimeoutRecoveryContext {
  /** What really happened to the timed-out request at the issuer (the service cannot see it). */
  firstAuthorisation: LostRequestFate;
  /** Acquirer A acknowledged a reversal of it. */
  firstReversed: boolean;
  /** The rerouted request at acquirer B. */
  secondAuthorisation: 'none' | 'pending' | 'approved' | 'declined';
  /** The next step of the plan to run. */
  nextStep: number;
  /** What the customer was told. */
  answer: PaymentAnswer;
}

export type TimeoutRecoveryEvent =
  | { type: 'ISSUER_HAD_APPROVED' }
  | { type: 'ISSUER_HAD_NOT_APPROVED' }
  | { type: 'RUN_NEXT_STEP' }
  | { type: 'ACQUIRER_B_APPROVES' }
  | { type: 'ACQUIRER_B_DECLINES' };

export type TimeoutRecoverySnapshot = { value: unknown; context: TimeoutRecoveryContext };

/** Authorisations approved and not reversed: each holds the cardholder's funds. */
export const liveHolds = (c: TimeoutRecoveryContext) =>
  (c.firstAuthorisation === 'approved' && !c.firstReversed ? 1 : 0) + (c.secondAuthorisation === 'approved' ? 1 : 0);

export function createTimeoutRecoveryModel(config: TimeoutRecoveryConfig) {
  const stepIs = (context: TimeoutRecoveryContext, step: RecoveryStep) => config.plan[context.nextStep] === step;
  return setup({
    types: { context: {} as TimeoutRecoveryContext, events: {} as TimeoutRecoveryEvent },
    guards: {
      fateUnknown: ({ context }) => context.firstAuthorisation === 'unknown',
      // A step runs when no answer is pending from B and the customer has no answer yet. The
      // lost request's fate is settled at the issuer on its own time, before or after any step:
      // the service's steps never depend on it, since the service cannot see it.
      canRunStep: ({ context }) => context.secondAuthorisation !== 'pending' && context.answer === 'none' && context.nextStep < config.plan.length,
      nextIsReversal: ({ context }) => stepIs(context, 'reverse_timed_out_authorisation'),
      nextIsReroute: ({ context }) => stepIs(context, 'reroute_to_another_acquirer') && context.secondAuthorisation === 'none',
      nextIsDecline: ({ context }) => stepIs(context, 'decline_payment'),
      awaitingB: ({ context }) => context.secondAuthorisation === 'pending',
    },
    actions: {
      approvedAtIssuer: assign({ firstAuthorisation: 'approved' }),
      notApprovedAtIssuer: assign({ firstAuthorisation: 'not_approved' }),
      reverseFirst: assign({ firstReversed: true, nextStep: ({ context }) => context.nextStep + 1 }),
      sendToB: assign({ secondAuthorisation: 'pending', nextStep: ({ context }) => context.nextStep + 1 }),
      declineCustomer: assign({ answer: 'declined', nextStep: ({ context }) => context.nextStep + 1 }),
      // A step the plan cannot take here (a second reroute): skipped.
      skipStep: assign({ nextStep: ({ context }) => context.nextStep + 1 }),
      bApproves: assign({ secondAuthorisation: 'approved', answer: 'paid' }),
      bDeclines: assign({ secondAuthorisation: 'declined' }),
    },
  }).createMachine({
    id: 'timeoutRecovery',
    context: { firstAuthorisation: 'unknown', firstReversed: false, secondAuthorisation: 'none', nextStep: 0, answer: 'none' },
    initial: 'recovering',
    states: {
      recovering: {
        on: {
          ISSUER_HAD_APPROVED: { guard: 'fateUnknown', actions: 'approvedAtIssuer' },
          ISSUER_HAD_NOT_APPROVED: { guard: 'fateUnknown', actions: 'notApprovedAtIssuer' },
          RUN_NEXT_STEP: [
            { guard: and(['canRunStep', 'nextIsReversal']), actions: 'reverseFirst' },
            { guard: and(['canRunStep', 'nextIsReroute']), actions: 'sendToB' },
            { guard: and(['canRunStep', 'nextIsDecline']), actions: 'declineCustomer' },
            { guard: 'canRunStep', actions: 'skipStep' },
          ],
          ACQUIRER_B_APPROVES: { guard: 'awaitingB', actions: 'bApproves' },
          ACQUIRER_B_DECLINES: { guard: 'awaitingB', actions: 'bDeclines' },
        },
      },
    },
  });
}

export const timeoutRecoveryEvents: readonly TimeoutRecoveryEvent[] = [
  { type: 'ISSUER_HAD_APPROVED' },
  { type: 'ISSUER_HAD_NOT_APPROVED' },
  { type: 'RUN_NEXT_STEP' },
  { type: 'ACQUIRER_B_APPROVES' },
  { type: 'ACQUIRER_B_DECLINES' },
];
