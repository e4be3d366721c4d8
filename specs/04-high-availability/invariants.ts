/**
 * The invariants of chapter 4's models, each with an id, a one-line statement and the task it
 * backs. The explorer checks state invariants in every reachable state and step properties on
 * every transition of a bounded config.
 */
import type { Invariant, StepProperty } from '../../tools/explore/explore.ts';
import { writersOf, type RegionFailoverConfig, type RegionFailoverSnapshot } from '../../models/region-failover/machine.ts';
import { total, type Balances } from '../../models/cross-region-transfer/ledger.ts';
import { blockedParticipants, type TwoPhaseSnapshot } from '../../models/cross-region-transfer/two-phase.ts';
import { letThrough, rateTrips, type CircuitBreakerConfig, type CircuitBreakerContext, type CircuitBreakerEvent } from '../../models/circuit-breaker/machine.ts';
import { liveHolds, type TimeoutRecoverySnapshot } from '../../models/circuit-breaker/timeout-recovery.ts';
import { statusOf, terminalStatuses, type PaymentIntentEvent, type PaymentIntentSnapshot } from '../../models/payment-intent/machine.ts';

// ── 4.1: region failover ───────────────────────────────────────────────────────────────────

export const singleWriter = (config: RegionFailoverConfig): Invariant<RegionFailoverSnapshot> => ({
  id: 'HA-SINGLE-WRITER',
  statement: 'at most one region can acknowledge a write to the account, at any moment, failover and partitions included',
  task: '4.1',
  holds: ({ context }) => writersOf(context, config).length <= 1,
});

export const noAcknowledgedWriteLost: Invariant<RegionFailoverSnapshot> = {
  id: 'HA-NO-LOSS',
  statement: 'every write acknowledged to a client is held by the replica of the region the lease store names as writer',
  task: '4.1',
  holds: ({ context }) => context.acknowledged.every((w) => context.replicas[context.lease.holder]!.writes.includes(w.id)),
};

// ── 4.2: cross-region transfer ─────────────────────────────────────────────────────────────

type Balanced = { context: { balances: Balances } };

export const moneyConserved = (initial: Balances): Invariant<Balanced> => ({
  id: 'XFER-CONSERVED',
  statement: 'money is conserved across regions: payer + US transit + EU transit + payee never changes',
  task: '4.2',
  holds: ({ context }) => total(context.balances) === total(initial),
});

export const noUnsecuredPayout = (initial: Balances, amountMinor: number): Invariant<Balanced> => ({
  id: 'XFER-SECURED',
  statement: 'the payee is credited only while the payer’s debit stands (no money paid out before it is collected)',
  task: '4.2',
  holds: ({ context }) => context.balances.payee <= initial.payee || context.balances.payer <= initial.payer - amountMinor,
});

export const twoPhaseNeverBlocks: Invariant<TwoPhaseSnapshot> = {
  id: 'XFER-NO-BLOCK',
  statement: 'no participant waits, holding its lock, for a coordinator that is down',
  task: '4.2',
  holds: ({ context }) => blockedParticipants(context).length === 0,
};

/**
 * Properties of whole runs, judged on the explored graph rather than state by state (money in
 * flight is normal in the middle of a transfer).
 */
export const endsSettled = {
  id: 'XFER-SETTLED',
  statement: 'every run ends settled: completed or compensated, with nothing left in transit',
  task: '4.2',
};

export const alwaysFinishes = {
  id: 'XFER-FINISHES',
  statement: 'from every reachable state the transfer can still finish (no state it is stuck in)',
  task: '4.2',
};

// ── 4.3: circuit breaker ───────────────────────────────────────────────────────────────────

type BreakerSnapshot = { value: unknown; context: CircuitBreakerContext };
type BreakerStep = StepProperty<BreakerSnapshot, CircuitBreakerEvent>;

export const openLetsNothingThrough: BreakerStep = {
  id: 'CB-OPEN',
  statement: 'an open breaker lets no call through',
  task: '4.3',
  holds: (before, event, after) => before.value !== 'open' || event.type !== 'CALL_REQUESTED' || !letThrough(before, after),
};

export const halfOpenProbesBounded = (config: CircuitBreakerConfig): Invariant<BreakerSnapshot> => ({
  id: 'CB-PROBES',
  statement: `a half-open breaker lets at most N probes through (N = halfOpenProbes = ${config.halfOpenProbes})`,
  task: '4.3',
  holds: ({ value, context }) => value !== 'half_open' || context.probesSent <= config.halfOpenProbes,
});

export const opensOnlyOnRate = (config: CircuitBreakerConfig): BreakerStep => ({
  id: 'CB-RATE',
  statement: `a closed breaker opens only on a recorded outcome that leaves at least ${config.minimumCalls} calls in the window with ${config.failureRateThresholdPercent} % of them or more failed`,
  task: '4.3',
  holds: (before, event, after) => {
    if (before.value !== 'closed' || after.value !== 'open') return true;
    const failed = event.type === 'CALL_FAILED' ? 1 : event.type === 'CALL_SUCCEEDED' ? 0 : undefined;
    return failed !== undefined && rateTrips(before.context.callsInWindow + 1, before.context.failuresInWindow + failed, config.minimumCalls, config.failureRateThresholdPercent);
  },
});

export const closesOnlyAfterProbes = (config: CircuitBreakerConfig): BreakerStep => ({
  id: 'CB-CLOSE',
  statement: `the breaker closes only from half-open, on the answer of the last of its ${config.halfOpenProbes} probe(s)`,
  task: '4.3',
  holds: (before, event, after) =>
    after.value !== 'closed' ||
    before.value === 'closed' ||
    (before.value === 'half_open' &&
      (event.type === 'PROBE_SUCCEEDED' || event.type === 'PROBE_FAILED') &&
      before.context.probesSucceeded + before.context.probesFailed + 1 === config.halfOpenProbes),
});

export const breakerStepProperties = (config: CircuitBreakerConfig) => [openLetsNothingThrough, opensOnlyOnRate(config), closesOnlyAfterProbes(config)];

export const oneHoldAtATime: Invariant<TimeoutRecoverySnapshot> = {
  id: 'CB-ONE-HOLD',
  statement: 'after a timed-out authorisation, the cardholder never has two approved authorisations holding funds for one payment',
  task: '4.3',
  holds: ({ context }) => liveHolds(context) <= 1,
};

export const noStrandedHold: Invariant<TimeoutRecoverySnapshot> = {
  id: 'CB-NO-STRANDED-HOLD',
  statement: 'a payment that ends without being paid leaves no approved authorisation holding the cardholder’s funds (checked where runs end)',
  task: '4.3',
  holds: ({ context }) => context.answer === 'paid' || liveHolds(context) === 0,
};

// ── 4.4: payment intent ────────────────────────────────────────────────────────────────────

export const atMostOneSuccessfulCharge: Invariant<PaymentIntentSnapshot> = {
  id: 'PI-ONE-CHARGE',
  statement: 'a PaymentIntent has at most one successful charge, whatever the retries',
  task: '4.4',
  holds: ({ context }) => context.successfulCharges <= 1,
};

export const captureWithinAuthorised: Invariant<PaymentIntentSnapshot> = {
  id: 'PI-CAPTURE',
  statement: 'the amount captured never exceeds the amount authorised',
  task: '4.4',
  holds: ({ context }) => context.capturedMinor <= context.authorisedMinor,
};

export const terminalStatusesAbsorb: StepProperty<PaymentIntentSnapshot, PaymentIntentEvent> = {
  id: 'PI-TERMINAL',
  statement: 'succeeded and canceled are final: no event changes the status, the charges or the amount captured',
  task: '4.4',
  holds: (before, _event, after) =>
    !terminalStatuses.includes(statusOf(before)) ||
    (statusOf(after) === statusOf(before) &&
      after.context.successfulCharges === before.context.successfulCharges &&
      after.context.capturedMinor === before.context.capturedMinor),
};
