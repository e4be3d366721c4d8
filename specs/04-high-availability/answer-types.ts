/** The shapes of chapter 4's answers: what the student fills in `exercises/04-high-availability/answers.ts`. */
import type { Replication, WriterFencing } from '../../models/region-failover/machine.ts';
import type { BreakerMode, CircuitBreakerEvent, HalfOpenDecision, WindowKind } from '../../models/circuit-breaker/machine.ts';
import type { RecoveryStep } from '../../models/circuit-breaker/timeout-recovery.ts';
import type { PaymentIntentEvent, PaymentIntentStatus } from '../../models/payment-intent/machine.ts';
import type { SagaStep } from '../../models/cross-region-transfer/saga.ts';
import type { LocalAction } from '../../models/cross-region-transfer/ledger.ts';

export type { BreakerMode, HalfOpenDecision, LocalAction, PaymentIntentStatus, RecoveryStep, Replication, SagaStep, WindowKind, WriterFencing };

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
  /** One database replica (one instance and its storage): not a replicated deployment. */
  databaseReplica: number;
  /** A region's own services in front of the database: network, load balancers, application tier. */
  regionServices: number;
  /** Global routing that sends each request to the account's writer region (DNS, anycast). */
  globalRouting: number;
  /**
   * The control plane a failover depends on: health checks, the lease store that names each
   * account's writer, the promotion itself (Treynor et al., "The Calculus of Service
   * Availability", ACM Queue 2017: a service is no more available than its critical dependencies).
   */
  controlPlane: number;
}

export interface FailoverPlan {
  /** What stops an old writer that was only cut off from writing on (see the failover model). */
  fencing: WriterFencing;
  /** Seconds from a region's failure until its accounts are writable in the failover region. */
  promotionSeconds: number;
  /** Region failures expected per year (each costs `promotionSeconds` of unavailability to its accounts). */
  regionFailuresPerYear: number;
}

/** Task 4.1: the multi-region active-active architecture of the payments database. */
export interface ActiveActiveArchitecture {
  regions: RegionPlan[];
  componentAvailability: ComponentAvailability;
  /**
   * Where each availability comes from, by component: a URL or a citation. A figure above
   * what the check accepts without one (see the chapter) needs its source here.
   */
  availabilitySources: Partial<Record<keyof ComponentAvailability, string>>;
  /** Each account written only in its home region, or in any region (multi-writer). */
  writes: 'home_region_only' | 'any_region';
  /**
   * When a write is acknowledged: once on the writer's replica (`asynchronous`), also on the
   * failover region's (`synchronous`), or on a majority of the replicas (`quorum`: also what a
   * consensus-replicated database such as Spanner or CockroachDB does).
   */
  replication: Replication;
  failover: FailoverPlan;
  /** Recovery point objective: the most recent acknowledged writes a failover may lose, in seconds. */
  rpoSeconds: number;
  /** Recovery time objective: how long the affected accounts cannot be written after a region fails, in seconds. */
  rtoSeconds: number;
  /** During a partition, the accounts whose writer region is on the other side: refuse their writes, or accept them on both sides. */
  duringPartition: 'refuse_writes_for_affected_accounts' | 'accept_writes_on_both_sides';
  /** Share of transactions a one-region failure affects (until failover completes), in percent. */
  oneRegionFailureAffectsPercent: number;
}

// ── 4.2 ─────────────────────────────────────────────────────────────────────────────────────

/** Task 4.2: how a cross-border payment (payer in the US region, payee in the EU) is made. */
export interface CrossRegionAnswer {
  protocol: 'two_phase_commit' | 'saga';
  /**
   * For two-phase commit: one coordinator process, or a coordinator whose log is replicated by
   * consensus across regions (Paxos Commit; Spanner's Paxos groups), so that its crash loses
   * nothing and another replica carries on. Ignored for a saga.
   */
  coordinator?: 'single_node' | 'replicated_consensus';
  /** For a saga: the local transactions in order, each with the one that undoes it (or null). */
  steps: SagaStep[];
}

// ── 4.3 ─────────────────────────────────────────────────────────────────────────────────────

/** What came back from one authorisation request sent through an acquirer to a card network. */
export type AuthorisationOutcome = (typeof authorisationOutcomes)[number];
export const authorisationOutcomes = [
  'approved',
  /** ISO 8583 response code 05. */
  'declined_do_not_honour',
  /** ISO 8583 response code 51. */
  'declined_insufficient_funds',
  /** ISO 8583 response code 54. */
  'declined_expired_card',
  /** No response within the request's timeout. */
  'timeout',
  /** The acquirer's gateway answered HTTP 500, 502, 503 or 504. */
  'gateway_5xx',
  /** The connection was refused or reset before an answer. */
  'connection_error',
] as const;

/** How the breaker counts an outcome: as a failure, as a success, or not at all. */
export type OutcomeClass = 'failure' | 'success' | 'not_counted';

/** What one breaker guards; the service keeps one breaker per distinct combination. */
export type BreakerScopePart = (typeof breakerScopeParts)[number];
export const breakerScopeParts = ['network', 'acquirer', 'issuer_bin', 'merchant'] as const;

/** Task 4.3: the breaker's policy. */
export interface BreakerPolicy {
  /** One breaker per combination of these (for example per network and acquirer). */
  scope: BreakerScopePart[];
  /** The window: the last `windowSize` calls, or the calls of the last `windowSize` seconds. */
  windowKind: WindowKind;
  windowSize: number;
  /** Outcomes the window must hold before the failure rate is judged. */
  minimumCalls: number;
  /** Failure rate in percent (0 < rate ≤ 100) at or above which the breaker opens. */
  failureRateThresholdPercent: number;
  /** Seconds the breaker stays open before it lets probes through. */
  waitInOpenSeconds: number;
  /** Calls let through as probes while half-open. */
  halfOpenProbes: number;
  /** How half-open decides: the probes' failure rate once all answered, or the first failed probe. */
  halfOpenDecision: HalfOpenDecision;
  /** What the service does, in order, after an authorisation request timed out. */
  afterTimeout: RecoveryStep[];
}

/** What the breaker remembers: counts, not the calls themselves. The check compares every field. */
export interface BreakerState {
  mode: BreakerMode;
  /** Outcomes in the window (while closed). */
  callsInWindow: number;
  /** Failures among them. */
  failuresInWindow: number;
  /** Probes let through since the breaker went half-open. */
  probesSent: number;
  /** Probe answers since the breaker went half-open. */
  probesSucceeded: number;
  probesFailed: number;
}

/**
 * An input to the breaker (the model's events). Outcomes arrive already classified by
 * `classifyOutcome`: one counted as `not_counted` never reaches the breaker. An outcome leaves
 * the window by its own input: in a count window just before a new one arrives in a full
 * window, in a time window when its time runs out.
 */
export type BreakerInput = CircuitBreakerEvent;

export interface BreakerStepResult {
  state: BreakerState;
  /** For `CALL_REQUESTED`: did the call go to the card network? (false for every other input) */
  letThrough: boolean;
}

/** Where every breaker starts. */
export const closedBreaker: BreakerState = { mode: 'closed', callsInWindow: 0, failuresInWindow: 0, probesSent: 0, probesSucceeded: 0, probesFailed: 0 };

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
  /** What the merchant's order keeps of its payment. */
  orderStores: 'the_payment_intent_id' | 'nothing';
  /**
   * The client retries days later, after every idempotency key of the first attempt may have
   * been removed (Stripe keeps them at least 24 hours: https://docs.stripe.com/idempotency).
   * Which PaymentIntent does the retry act on?
   */
  retryAfterKeysExpired: 'the_payment_intent_of_the_order' | 'a_new_payment_intent';
}

export interface ChapterFourAnswers {
  architecture: () => ActiveActiveArchitecture;
  crossRegionTransfer: () => CrossRegionAnswer;
  breakerPolicy: () => BreakerPolicy;
  classifyOutcome: (outcome: AuthorisationOutcome) => OutcomeClass;
  breakerStep: (state: BreakerState, input: BreakerInput, policy: BreakerPolicy) => BreakerStepResult;
  paymentIntentTransitions: () => StatusTransition[];
  confirmRetrySafety: () => RetrySafetyAnswer;
}
