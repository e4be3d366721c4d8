/**
 * Every model in `models/`, with the configurations the explorer's tests run it at.
 *
 * The fast-path test fails when a folder of `models/` is missing here, so that a new model is
 * checked against xstate before the explorer computes its steps directly.
 */
import type { AnyStateMachine } from 'xstate';
import {
  candidateEvents as idempotencyEvents,
  createIdempotencyModel,
  scenarioConfig,
} from '../../models/idempotency-store/machine.ts';
import {
  candidateEvents as ledgerWriteEvents,
  createLedgerWriteModel,
  scenarioConfig as ledgerWriteScenario,
  type Posting,
  type WriteMode,
} from '../../models/ledger-write/machine.ts';
import {
  candidateEvents as webhookDeliveryEvents,
  createWebhookDeliveryModel,
  scenarioConfig as webhookDeliveryScenario,
} from '../../models/webhook-delivery/machine.ts';
import { dedupingHandler } from '../../models/webhook-delivery/merchant.ts';
import { atomicSteps, createHandlerStepsModel, handlerStepEvents, handlerStepsBounds } from '../../models/webhook-delivery/handler-steps.ts';
import {
  candidateEvents as twoPhaseEvents,
  createTwoPhaseCommitModel,
} from '../../models/two-phase-commit/machine.ts';
import {
  candidateEvents as circuitBreakerEvents,
  createCircuitBreakerModel,
  exampleBreakerConfig,
} from '../../models/circuit-breaker/machine.ts';
import { createTimeoutRecoveryModel, timeoutRecoveryEvents } from '../../models/circuit-breaker/timeout-recovery.ts';
import {
  candidateEvents as paymentIntentEvents,
  createPaymentIntentModel,
  scenarioConfig as paymentIntentScenario,
} from '../../models/payment-intent/machine.ts';
import { createSagaTransferModel, sagaConfig, sagaEvents, uncompensatedPlan } from '../../models/cross-region-transfer/saga.ts';
import {
  createTwoPhaseTransferModel,
  twoPhaseEvents as twoPhaseTransferEvents,
  twoPhaseScenario as twoPhaseTransferScenario,
} from '../../models/cross-region-transfer/two-phase.ts';
import {
  candidateEvents as regionFailoverEvents,
  createRegionFailoverModel,
  scenarioConfig as regionFailoverScenario,
} from '../../models/region-failover/machine.ts';

export interface ModelUnderTest {
  /** The folder under `models/`. */
  folder: string;
  /** What this configuration is, for test names. */
  label: string;
  machine: AnyStateMachine;
  events: (snapshot: never) => readonly { type: string }[];
}

export const modelsUnderTest: ModelUnderTest[] = [
  {
    folder: 'idempotency-store',
    label: 'the exercise scenario',
    machine: createIdempotencyModel(scenarioConfig),
    events: idempotencyEvents,
  },
  {
    folder: 'idempotency-store',
    label: 'a client that sends no key',
    machine: createIdempotencyModel({ ...scenarioConfig, keyForAttempt: null }),
    events: idempotencyEvents,
  },
  {
    folder: 'idempotency-store',
    label: 'crashes, card failures, a lock check and a retry that changes its parameters',
    machine: createIdempotencyModel({
      ...scenarioConfig,
      apiDesign: 'own_lock_check',
      maxCrashes: 1,
      cardNetworkMayFail: true,
      retryBody: 'changed',
    }),
    events: idempotencyEvents,
  },
  ...(['autocommit', 'transaction'] as WriteMode[]).flatMap((mode) =>
    (['single-phase', 'hold'] as Posting[]).map((posting) => {
      const config = ledgerWriteScenario(mode, posting);
      return {
        folder: 'ledger-write',
        label: `${mode}, ${posting}`,
        machine: createLedgerWriteModel(config),
        events: () => ledgerWriteEvents(config),
      };
    }),
  ),
  {
    folder: 'two-phase-commit',
    label: 'three resource managers',
    machine: createTwoPhaseCommitModel({ resourceManagers: 3 }),
    events: twoPhaseEvents,
  },
  {
    folder: 'webhook-delivery',
    label: 'every failure mode, a deduplicating handler, a replay',
    machine: createWebhookDeliveryModel({ ...webhookDeliveryScenario, handler: dedupingHandler }),
    events: webhookDeliveryEvents,
  },
  {
    folder: 'webhook-delivery',
    label: 'the handler’s steps, one transaction and an outbox, with crashes and a lost 2xx',
    machine: createHandlerStepsModel({ steps: atomicSteps, ...handlerStepsBounds }),
    events: handlerStepEvents,
  },
  {
    folder: 'webhook-delivery',
    label: 'the handler’s steps, no transaction, the receipt emailed inline',
    machine: createHandlerStepsModel({ steps: ['verify_signature', 'apply_effect', 'record_event_id', 'send_receipt', 'respond_2xx'], ...handlerStepsBounds }),
    events: handlerStepEvents,
  },
  {
    folder: 'webhook-delivery',
    label: 'the handler’s steps, an inbox processed later by a worker',
    machine: createHandlerStepsModel({ steps: ['verify_signature', 'store_in_inbox', 'respond_2xx'], ...handlerStepsBounds }),
    events: handlerStepEvents,
  },
  {
    folder: 'circuit-breaker',
    label: 'the example breaker (time window)',
    machine: createCircuitBreakerModel(exampleBreakerConfig),
    events: circuitBreakerEvents,
  },
  {
    folder: 'circuit-breaker',
    label: 'a count window of 12 calls, the first failed probe reopening',
    machine: createCircuitBreakerModel({ ...exampleBreakerConfig, windowKind: 'calls', windowSize: 12, minimumCalls: 10, halfOpenDecision: 'first_failed_probe_reopens' }),
    events: circuitBreakerEvents,
  },
  {
    folder: 'circuit-breaker',
    label: 'the recovery after a timeout, reversal then reroute',
    machine: createTimeoutRecoveryModel({ plan: ['reverse_timed_out_authorisation', 'reroute_to_another_acquirer', 'decline_payment'] }),
    events: () => timeoutRecoveryEvents,
  },
  {
    folder: 'payment-intent',
    label: 'manual capture, 3-D Secure, declines, confirm retries',
    machine: createPaymentIntentModel({ ...paymentIntentScenario, maxPaymentMethods: 1 }),
    events: (snapshot: never) => paymentIntentEvents(snapshot, { ...paymentIntentScenario, maxPaymentMethods: 1 }),
  },
  {
    folder: 'cross-region-transfer',
    label: 'the saga without compensation, with a crash and a partition',
    machine: createSagaTransferModel(sagaConfig(uncompensatedPlan)),
    events: () => sagaEvents,
  },
  {
    folder: 'cross-region-transfer',
    label: 'two-phase commit, with a crash and a partition',
    machine: createTwoPhaseTransferModel(twoPhaseTransferScenario),
    events: () => twoPhaseTransferEvents,
  },
  {
    folder: 'cross-region-transfer',
    label: 'two-phase commit over a coordinator replicated by consensus',
    machine: createTwoPhaseTransferModel({ ...twoPhaseTransferScenario, coordinator: 'replicated_consensus' }),
    events: () => twoPhaseTransferEvents,
  },
  {
    folder: 'region-failover',
    label: 'three replicas, quorum writes, epoch fencing, one failure',
    machine: createRegionFailoverModel(regionFailoverScenario),
    events: () => regionFailoverEvents(regionFailoverScenario),
  },
  {
    folder: 'region-failover',
    label: 'asynchronous replication, a lease with bounded drift, two failures',
    machine: createRegionFailoverModel({ ...regionFailoverScenario, replication: 'asynchronous', fencing: 'lease_bounded_drift', maxRegionFailures: 2 }),
    events: () => regionFailoverEvents({ ...regionFailoverScenario, replication: 'asynchronous', fencing: 'lease_bounded_drift', maxRegionFailures: 2 }),
  },
];
