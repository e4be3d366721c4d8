/** The shapes of chapter 4's answers: what the student fills in `exercises/04-high-availability/answers.ts`. */
import type { BreakerMode, CircuitBreakerEvent, Outcome } from '../../models/circuit-breaker/machine.ts';
import type { PaymentIntentEvent, PaymentIntentStatus } from '../../models/payment-intent/machine.ts';
import type { SagaStep } from '../../models/cross-region-transfer/saga.ts';
import type { LocalAction } from '../../models/cross-region-transfer/ledger.ts';

export type { BreakerMode, LocalAction, Outcome, PaymentIntentStatus, SagaStep };

// ── 4.1 ─────────────────────────────────────────────────────────────────────────────────────

/** One region of the active-active deployment. */
export interface RegionPlan {
  name: string;
  /** Share of all transactions whose accounts are homed (written) here, in percent. */
  shareOfTransactionsPercent: number;
  /** Database replicas in the region (any one of them can serve the region's writes). */
  databaseReplicas: number;
  /** The region that takes over this region's accounts when it fails (another region). */
  failoverTo: string;
}

/** Availability of each component, as a fraction (0.999 is 99.9 %). */
export interface ComponentAvailability {
  /** One database replica (instance and its storage). */
  databaseReplica: number;
  /** A region's own services in front of the database: network, load balancers, application tier. */
  regionServices: number;
  /** Global routing that sends each request to the account's writer region (DNS, anycast). */
  globalRouting: number;
}

export interface FailoverPlan {
  /** Does the database refuse writes from a region whose writer epoch is stale? */
  fencing: 'epoch_fencing' | 'none';
  /** Seconds from a region's failure until its accounts are writable in the failover region. */
  promotionSeconds: number;
  /** Region failures expected per year (each costs `promotionSeconds` of unavailability to its accounts). */
  regionFailuresPerYear: number;
}

/** Task 4.1: the multi-region active-active architecture of the payments database. */
export interface ActiveActiveArchitecture {
  regions: RegionPlan[];
  componentAvailability: ComponentAvailability;
  /** Each account written only in its home region, or in any region (multi-writer). */
  writes: 'home_region_only' | 'any_region';
  failover: FailoverPlan;
  /** Share of transactions a one-region failure affects (until failover completes), in percent. */
  oneRegionFailureAffectsPercent: number;
}

// ── 4.2 ─────────────────────────────────────────────────────────────────────────────────────

/** Task 4.2: how a cross-border payment (payer in the US region, payee in the EU) is made. */
export interface CrossRegionAnswer {
  protocol: 'two_phase_commit' | 'saga';
  /** For a saga: the local transactions in order, each with the one that undoes it (or null). */
  steps: SagaStep[];
}

// ── 4.3 ─────────────────────────────────────────────────────────────────────────────────────

/** Task 4.3: the breaker's thresholds (one breaker per card network, all with these). */
export interface BreakerThresholds {
  /** Outcomes kept in the sliding window (the last N calls while closed). */
  windowSize: number;
  /** Failures within the window that open the breaker. */
  failureThreshold: number;
  /** Calls let through as probes while half-open. */
  halfOpenProbes: number;
  /** Successful probes needed to close again. */
  successesToClose: number;
  /** How long the breaker stays open before it lets probes through, in seconds. */
  cooldownSeconds: number;
}

/** What the breaker remembers. The check compares only `mode` and whether a call went through. */
export interface BreakerState {
  mode: BreakerMode;
  /** The last outcomes seen while closed, oldest first. */
  recentOutcomes: Outcome[];
  /** Probes let through since the breaker went half-open. */
  probesSent: number;
  /** Successful probes since the breaker went half-open. */
  probesSucceeded: number;
}

/** An input to the breaker (the same events as the model's). */
export type BreakerInput = CircuitBreakerEvent;

export interface BreakerStepResult {
  state: BreakerState;
  /** For `CALL_REQUESTED`: did the call go to the card network? (false for every other input) */
  letThrough: boolean;
}

/** Where every breaker starts. */
export const closedBreaker: BreakerState = { mode: 'closed', recentOutcomes: [], probesSent: 0, probesSucceeded: 0 };

// ── 4.4 ─────────────────────────────────────────────────────────────────────────────────────

/** The events that can change a PaymentIntent's status (the model's names). */
export type IntentEventType = Exclude<PaymentIntentEvent['type'], 'CONFIRM_SENT'>;

/** One arrow of the PaymentIntent lifecycle. */
export interface StatusTransition {
  from: PaymentIntentStatus;
  event: IntentEventType;
  to: PaymentIntentStatus;
}

/** Task 4.4: how a client retries a confirm that timed out, and what the retry gets. */
export interface RetrySafetyAnswer {
  confirmRetries: 'same_idempotency_key' | 'new_idempotency_key' | 'new_payment_intent';
  /** What a retry of confirm gets when it arrives after the first confirm was executed. */
  retryAfterConfirmGets: 'the first response replayed' | 'an unexpected-state error' | 'a second charge';
  /** The most successful charges one PaymentIntent can end with, whatever the retries. */
  successfulChargesPerIntentAtMost: number;
}

export interface ChapterFourAnswers {
  architecture: () => ActiveActiveArchitecture;
  crossRegionTransfer: () => CrossRegionAnswer;
  breakerThresholds: () => BreakerThresholds;
  breakerStep: (state: BreakerState, input: BreakerInput, thresholds: BreakerThresholds) => BreakerStepResult;
  paymentIntentTransitions: () => StatusTransition[];
  confirmRetrySafety: () => RetrySafetyAnswer;
}
