/**
 * Chapter 4 — High-availability payment processing: your answers.
 *
 * Replace each `throw new Error('TODO: not answered yet')` with your answer, then run
 * `npm run check -- 4`. The types say what each answer must look like.
 */
import type {
  ActiveActiveArchitecture,
  AuthorisationOutcome,
  BreakerInput,
  BreakerPolicy,
  BreakerState,
  BreakerStepResult,
  CrossRegionAnswer,
  OutcomeClass,
  RetrySafetyAnswer,
  StatusTransition,
} from '../../specs/04-high-availability/answer-types.ts';

/** 4.1 — The multi-region active-active architecture of the payments database. */
export function architecture(): ActiveActiveArchitecture {
  // BEGIN SOLUTION
  // Five regions, each the single writer (home) of the accounts whose customers are nearest,
  // so that no region carries the 40 % US-East carries today. Writes commit on a majority of
  // the account's replicas (quorum, as a consensus-replicated database such as Spanner or
  // CockroachDB does), and every replica refuses a writer epoch older than one it has seen: a
  // region that is only cut off reaches no majority and cannot acknowledge anything, and the
  // promoted region catches up from a majority, which holds every acknowledged write (RPO 0).
  // During a partition, the accounts whose writer is on the other side refuse writes.
  // Availabilities: one replica at the single-instance commitment (EC2 instance-level SLA,
  // 99.5 %: a floor, not a measurement), a region's services and the control plane at the
  // region-level commitment (99.99 %), global routing cited from Route 53's SLA (100 %),
  // taken at 99.9999 % to leave a margin.
  return {
    regions: [
      { name: 'us-east', shareOfTransactionsPercent: 22, databaseReplicas: 3, failoverTo: 'us-west' },
      { name: 'us-west', shareOfTransactionsPercent: 18, databaseReplicas: 3, failoverTo: 'us-east' },
      { name: 'eu-west', shareOfTransactionsPercent: 22, databaseReplicas: 3, failoverTo: 'eu-central' },
      { name: 'eu-central', shareOfTransactionsPercent: 18, databaseReplicas: 3, failoverTo: 'eu-west' },
      { name: 'ap-southeast', shareOfTransactionsPercent: 20, databaseReplicas: 3, failoverTo: 'us-west' },
    ],
    componentAvailability: { databaseReplica: 0.995, regionServices: 0.9999, globalRouting: 0.999999, controlPlane: 0.9999 },
    availabilitySources: {
      databaseReplica: 'https://aws.amazon.com/compute/sla/ (instance-level SLA, 99.5 %)',
      regionServices: 'https://aws.amazon.com/compute/sla/ (region-level SLA, 99.99 %)',
      globalRouting: 'https://aws.amazon.com/route53/sla/ (100 %; taken at 99.9999 % for a margin)',
    },
    writes: 'home_region_only',
    replication: 'quorum',
    failover: { fencing: 'local_epoch', promotionSeconds: 30, regionFailuresPerYear: 2 },
    rpoSeconds: 0,
    rtoSeconds: 30,
    duringPartition: 'refuse_writes_for_affected_accounts',
    oneRegionFailureAffectsPercent: 22,
  };
  // END SOLUTION
}

/** 4.2 — A cross-border payment: the payer's account in the US region, the payee's in the EU. */
export function crossRegionTransfer(): CrossRegionAnswer {
  // BEGIN SOLUTION
  // A saga: collect first (payer → US transit), then pay out (EU transit → payee). If the EU
  // refuses the credit, refund the payer from transit. The credit is the last step, so it is
  // never undone. No lock is held across regions, so an orchestrator crash blocks nothing; a
  // partition still stalls it, with the payer debited and the money in US transit, until the
  // link heals. (2PC over a coordinator replicated by consensus is the other defensible answer.)
  return {
    protocol: 'saga',
    steps: [
      { action: 'debit_payer_into_transit', compensation: 'refund_payer_from_transit' },
      { action: 'credit_payee_from_transit', compensation: null },
    ],
  };
  // END SOLUTION
}

/** 4.3 — The breaker's policy: what one breaker guards, its window and thresholds, and what follows a timeout. */
export function breakerPolicy(): BreakerPolicy {
  // BEGIN SOLUTION
  // One breaker per card network at each acquirer. A time window of 10 s with at least 20
  // calls and a 50 % failure rate, as Hystrix's defaults (rolling 10 s, requestVolumeThreshold
  // 20, errorThresholdPercentage 50: https://github.com/Netflix/Hystrix/wiki/Configuration);
  // 30 s open, then 3 probes judged on their failure rate, as Resilience4j's half-open state
  // (https://resilience4j.readme.io/docs/circuitbreaker). A timed-out authorisation may have
  // been approved: reverse it before trying another acquirer.
  return {
    scope: ['network', 'acquirer'],
    windowKind: 'seconds',
    windowSize: 10,
    minimumCalls: 20,
    failureRateThresholdPercent: 50,
    waitInOpenSeconds: 30,
    halfOpenProbes: 3,
    halfOpenDecision: 'failure_rate_after_all_probes',
    afterTimeout: ['reverse_timed_out_authorisation', 'reroute_to_another_acquirer'],
  };
  // END SOLUTION
}

/** 4.3 — How the breaker counts an outcome of an authorisation request. */
export function classifyOutcome(outcome: AuthorisationOutcome): OutcomeClass {
  // BEGIN SOLUTION
  // A decline (05, 51, 54) is the issuer's answer through a network that worked: a success for
  // the breaker. Timeouts, 5xx and connection errors say the path to the issuer failed.
  switch (outcome) {
    case 'timeout':
    case 'gateway_5xx':
    case 'connection_error':
      return 'failure';
    default:
      return 'success';
  }
  // END SOLUTION
}

/**
 * 4.3 — One step of the breaker: its next state, and whether a requested call goes through.
 * A pure function: return a new state, and leave the state, input and policy given as they are.
 */
export function breakerStep(state: BreakerState, input: BreakerInput, policy: BreakerPolicy): BreakerStepResult {
  // BEGIN SOLUTION
  const fresh = { callsInWindow: 0, failuresInWindow: 0, probesSent: 0, probesSucceeded: 0, probesFailed: 0 };
  const to = (mode: BreakerState['mode']): BreakerStepResult => ({ state: { mode, ...fresh }, letThrough: false });
  const same: BreakerStepResult = { state, letThrough: false };
  const rateReached = (calls: number, failures: number) => failures * 100 >= policy.failureRateThresholdPercent * calls;
  switch (state.mode) {
    case 'closed': {
      if (input.type === 'CALL_REQUESTED') return { state, letThrough: true };
      if (input.type === 'OLDEST_SUCCESS_LEAVES_WINDOW') return { state: { ...state, callsInWindow: state.callsInWindow - 1 }, letThrough: false };
      if (input.type === 'OLDEST_FAILURE_LEAVES_WINDOW') {
        return { state: { ...state, callsInWindow: state.callsInWindow - 1, failuresInWindow: state.failuresInWindow - 1 }, letThrough: false };
      }
      if (input.type !== 'CALL_SUCCEEDED' && input.type !== 'CALL_FAILED') return same;
      const calls = state.callsInWindow + 1;
      const failures = state.failuresInWindow + (input.type === 'CALL_FAILED' ? 1 : 0);
      if (calls >= policy.minimumCalls && rateReached(calls, failures)) return to('open');
      return { state: { ...state, callsInWindow: calls, failuresInWindow: failures }, letThrough: false };
    }
    case 'open':
      return input.type === 'WAIT_IN_OPEN_ELAPSED' ? to('half_open') : same;
    case 'half_open': {
      if (input.type === 'CALL_REQUESTED') {
        return state.probesSent < policy.halfOpenProbes ? { state: { ...state, probesSent: state.probesSent + 1 }, letThrough: true } : same;
      }
      if (input.type !== 'PROBE_SUCCEEDED' && input.type !== 'PROBE_FAILED') return same;
      if (state.probesSucceeded + state.probesFailed >= state.probesSent) return same;
      const failed = state.probesFailed + (input.type === 'PROBE_FAILED' ? 1 : 0);
      const succeeded = state.probesSucceeded + (input.type === 'PROBE_SUCCEEDED' ? 1 : 0);
      if (failed > 0 && policy.halfOpenDecision === 'first_failed_probe_reopens') return to('open');
      if (failed + succeeded < policy.halfOpenProbes) return { state: { ...state, probesSucceeded: succeeded, probesFailed: failed }, letThrough: false };
      return to(rateReached(policy.halfOpenProbes, failed) ? 'open' : 'closed');
    }
  }
  // END SOLUTION
}

/** 4.4 — Every status change of a PaymentIntent: from, event, to. */
export function paymentIntentTransitions(): StatusTransition[] {
  // BEGIN SOLUTION
  // From https://docs.stripe.com/payments/paymentintents/lifecycle and the cancel and capture
  // references (https://docs.stripe.com/api/payment_intents/cancel, …/capture). The cancel
  // reference allows processing "in rare cases". A confirm may supply the payment method
  // itself (https://docs.stripe.com/api/payment_intents/confirm, payment_method), straight from
  // requires_payment_method. Replacing the payment method before the confirm is not listed: it
  // leaves the status in requires_confirmation.
  return [
    { from: 'requires_payment_method', event: 'ATTACH_PAYMENT_METHOD', to: 'requires_confirmation' },
    { from: 'requires_payment_method', event: 'CONFIRM_RECEIVED', to: 'requires_action' },
    { from: 'requires_payment_method', event: 'CONFIRM_RECEIVED', to: 'processing' },
    { from: 'requires_payment_method', event: 'CANCEL', to: 'canceled' },
    { from: 'requires_confirmation', event: 'CONFIRM_RECEIVED', to: 'requires_action' },
    { from: 'requires_confirmation', event: 'CONFIRM_RECEIVED', to: 'processing' },
    { from: 'requires_confirmation', event: 'CANCEL', to: 'canceled' },
    { from: 'requires_action', event: 'CUSTOMER_AUTHENTICATES', to: 'processing' },
    { from: 'requires_action', event: 'AUTHENTICATION_FAILS', to: 'requires_payment_method' },
    { from: 'requires_action', event: 'CANCEL', to: 'canceled' },
    { from: 'processing', event: 'CARD_AUTHORISED', to: 'requires_capture' },
    { from: 'processing', event: 'CARD_AUTHORISED', to: 'succeeded' },
    { from: 'processing', event: 'CARD_DECLINED', to: 'requires_payment_method' },
    { from: 'processing', event: 'CANCEL', to: 'canceled' },
    { from: 'requires_capture', event: 'CAPTURE', to: 'succeeded' },
    { from: 'requires_capture', event: 'CANCEL', to: 'canceled' },
    { from: 'requires_capture', event: 'AUTHORISATION_EXPIRES', to: 'canceled' },
  ];
  // END SOLUTION
}

/** 4.4 — How the client retries a confirm that timed out, and what the retry gets. */
export function confirmRetrySafety(): RetrySafetyAnswer {
  // BEGIN SOLUTION
  // Retry the same intent's confirm with the same idempotency key: the retry gets the first
  // response replayed. The intent's status allows one confirmation, so one charge at most. The
  // order stores its intent's id, so a retry days later, when the keys may be gone, finds the
  // same intent: a confirm there finds it processing or succeeded, and cannot charge again.
  return {
    confirmRetries: 'same_idempotency_key',
    retryAfterConfirmGets: 'the first response replayed',
    successfulChargesPerIntentAtMost: 1,
    orderStores: 'the_payment_intent_id',
    retryAfterKeysExpired: 'the_payment_intent_of_the_order',
  };
  // END SOLUTION
}
