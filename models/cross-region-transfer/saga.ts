/**
 * A cross-border payment as a saga: a sequence of local transactions, one region at a time,
 * each committed on its own; if a step is refused, the steps already done are undone by
 * their compensations, in reverse order.
 *
 * The orchestrator runs in the US region and keeps a durable log (which step, forward or
 * compensating). It may crash (its memory of a request in flight is lost; the log is not) and
 * recover; the link between the regions may be partitioned (messages in flight across it are
 * lost) and heal. Every request carries the transfer's id and the step's number, and each
 * region records the outcome of every step it ran, so a resent request is answered from that
 * record and never applied twice.
 *
 * The steps come from the config, so that a student's plan runs as it is written.
 */
import { assign, setup } from 'xstate';
import { highAvailabilityScenario as figures } from './scenario.ts';
import { apply, regionOf, type Balances, type LocalAction, type Region } from './ledger.ts';

export interface SagaStep {
  action: LocalAction;
  /** The local transaction that undoes it; `null` when the step is never undone. */
  compensation: LocalAction | null;
}

export interface SagaConfig {
  amountMinor: number;
  initial: Balances;
  steps: readonly SagaStep[];
  /** The US may refuse the debit (insufficient funds). */
  payerMayLackFunds: boolean;
  /** The EU may refuse the credit (payee account closed, compliance hold). */
  payeeMayRefuse: boolean;
  maxOrchestratorCrashes: number;
  maxPartitions: number;
}

/**
 * The model's own example plan, for its tests and benchmarks: debit, then credit, with no
 * compensation anywhere. It is the plan the model exists to refute: when the EU refuses the
 * credit, the payer's money stays in transit for good. The check runs the student's plan.
 */
export const uncompensatedPlan: readonly SagaStep[] = (['debit_payer_into_transit', 'credit_payee_from_transit'] as const).map((action) => ({ action, compensation: null }));

export const initialBalances: Balances = { payer: figures.payerBalanceMinor, usTransit: 0, euTransit: 0, payee: 0 };

/** The scenario a plan runs in; the plan (the steps) is the answer, so it is not part of it. */
export type SagaScenario = Omit<SagaConfig, 'steps'>;

export const sagaScenario: SagaScenario = {
  amountMinor: figures.transferAmountMinor,
  initial: initialBalances,
  payerMayLackFunds: true,
  payeeMayRefuse: true,
  maxOrchestratorCrashes: 1,
  maxPartitions: 1,
};

/** The scenario with a plan: what the model runs. */
export const sagaConfig = (steps: readonly SagaStep[]): SagaConfig => ({ ...sagaScenario, steps });

export type Direction = 'forward' | 'compensate';

/** A step's id in requests and in the regions' records: `f0` is step 0 forward, `c0` its compensation. */
export type StepId = `${'f' | 'c'}${number}`;

export interface SagaContext {
  balances: Balances;
  /** The orchestrator's durable log: where the saga is. */
  log: { phase: 'forward' | 'compensating' | 'completed' | 'compensated'; step: number };
  orchestratorUp: boolean;
  crashes: number;
  /** In the orchestrator's memory: it sent the current step's request and waits (lost in a crash). */
  awaitingReply: boolean;
  partitioned: boolean;
  partitions: number;
  /** The request in the network, if any. */
  request: StepId | null;
  /** The reply in the network, if any. */
  reply: { id: StepId; outcome: 'committed' | 'refused' } | null;
  /** Each region's record of the steps it ran (durable, by step id). */
  outcomes: Partial<Record<StepId, 'committed' | 'refused'>>;
}

export type SagaEvent =
  | { type: 'STEP_REQUEST_SENT' }
  | { type: 'STEP_COMMITTED' }
  | { type: 'STEP_REFUSED' }
  | { type: 'STEP_REPLY_RECEIVED' }
  | { type: 'ORCHESTRATOR_CRASHES' }
  | { type: 'ORCHESTRATOR_RECOVERS' }
  | { type: 'PARTITION_STARTS' }
  | { type: 'PARTITION_HEALS' };

export const sagaEvents: readonly SagaEvent[] = [
  { type: 'STEP_REQUEST_SENT' },
  { type: 'STEP_COMMITTED' },
  { type: 'STEP_REFUSED' },
  { type: 'STEP_REPLY_RECEIVED' },
  { type: 'ORCHESTRATOR_CRASHES' },
  { type: 'ORCHESTRATOR_RECOVERS' },
  { type: 'PARTITION_STARTS' },
  { type: 'PARTITION_HEALS' },
];

/** The step the log points at, as a request id; null when the saga is over. */
export function currentStep(context: SagaContext): StepId | null {
  const { phase, step } = context.log;
  if (phase === 'forward') return `f${step}`;
  if (phase === 'compensating') return `c${step}`;
  return null;
}

/** The saga has a step to run, or a message still in the network. */
export const inProgress = (context: SagaContext) => currentStep(context) !== null || context.request !== null || context.reply !== null;

/** The local transaction a step id stands for (null: a step with no compensation). */
export function actionOf(id: StepId, config: SagaConfig): LocalAction | null {
  const step = config.steps[Number(id.slice(1))]!;
  return id.startsWith('f') ? step.action : step.compensation;
}

const regionOfStep = (id: StepId, config: SagaConfig): Region => regionOf[actionOf(id, config) ?? 'debit_payer_into_transit'];

/** Messages to and from the EU cross the partitioned link; the US's are local to the orchestrator. */
const linkUp = (context: SagaContext, id: StepId, config: SagaConfig) => regionOfStep(id, config) === 'us' || !context.partitioned;

/** The log after the reply to step `id`. */
function advance(context: SagaContext, id: StepId, outcome: 'committed' | 'refused', config: SagaConfig): SagaContext['log'] {
  const index = Number(id.slice(1));
  if (id.startsWith('f')) {
    if (outcome === 'committed') {
      return index + 1 < config.steps.length ? { phase: 'forward', step: index + 1 } : { phase: 'completed', step: index };
    }
    return previousCompensation(index - 1, config);
  }
  return previousCompensation(index - 1, config);
}

/** The next compensation to run at or before step `from`, skipping steps that have none. */
function previousCompensation(from: number, config: SagaConfig): SagaContext['log'] {
  for (let i = from; i >= 0; i--) if (config.steps[i]!.compensation !== null) return { phase: 'compensating', step: i };
  return { phase: 'compensated', step: 0 };
}

export function createSagaTransferModel(config: SagaConfig) {
  const refusable = (action: LocalAction | null) =>
    (action === 'debit_payer_into_transit' && config.payerMayLackFunds) || (action === 'credit_payee_from_transit' && config.payeeMayRefuse);

  return setup({
    types: {
      context: {} as SagaContext,
      events: {} as SagaEvent,
    },
    guards: {
      orchestratorMaySend: ({ context }) =>
        context.orchestratorUp && !context.awaitingReply && currentStep(context) !== null,
      requestDeliverable: ({ context }) => context.request !== null && linkUp(context, context.request, config),
      // A region refuses a step only the first time it sees it; a resent request gets the recorded answer.
      regionMayRefuse: ({ context }) =>
        context.request !== null &&
        linkUp(context, context.request, config) &&
        context.outcomes[context.request] === undefined &&
        refusable(actionOf(context.request, config)),
      replyDeliverable: ({ context }) =>
        context.reply !== null && context.orchestratorUp && linkUp(context, context.reply.id, config),
      // Faults strike while the transfer is in progress (afterwards they change nothing).
      orchestratorMayCrash: ({ context }) =>
        context.orchestratorUp && context.crashes < config.maxOrchestratorCrashes && inProgress(context),
      orchestratorDown: ({ context }) => !context.orchestratorUp,
      linkMayFail: ({ context }) => !context.partitioned && context.partitions < config.maxPartitions && inProgress(context),
      linkDown: ({ context }) => context.partitioned,
    },
    actions: {
      sendStepRequest: assign(({ context }) => ({ request: currentStep(context), awaitingReply: true })),
      // The region runs the step as one local transaction and records it; a duplicate is not re-run.
      commitStep: assign(({ context }) => {
        const id = context.request!;
        const known = context.outcomes[id];
        if (known !== undefined) return { request: null, reply: { id, outcome: known } };
        const action = actionOf(id, config);
        return {
          request: null,
          balances: action === null ? context.balances : apply(context.balances, action, config.amountMinor),
          outcomes: { ...context.outcomes, [id]: 'committed' as const },
          reply: { id, outcome: 'committed' as const },
        };
      }),
      refuseStep: assign(({ context }) => {
        const id = context.request!;
        return { request: null, outcomes: { ...context.outcomes, [id]: 'refused' as const }, reply: { id, outcome: 'refused' as const } };
      }),
      // The orchestrator logs the outcome and moves on (even if it had forgotten the request in a
      // crash: the reply is news all the same); a stale reply, for an earlier step, is dropped.
      logReply: assign(({ context }) => {
        const reply = context.reply!;
        if (reply.id !== currentStep(context)) return { reply: null };
        return { reply: null, awaitingReply: false, log: advance(context, reply.id, reply.outcome, config) };
      }),
      loseMemory: assign(({ context }) => ({ orchestratorUp: false, crashes: context.crashes + 1, awaitingReply: false, reply: null })),
      restartFromLog: assign({ orchestratorUp: true }),
      // Messages crossing the link are lost; the orchestrator will resend after it heals.
      cutLink: assign(({ context }) => {
        const crossing = (id: StepId | undefined) => id !== undefined && regionOfStep(id, config) === 'eu';
        const lost = crossing(context.request ?? undefined) || crossing(context.reply?.id);
        return {
          partitioned: true,
          partitions: context.partitions + 1,
          request: crossing(context.request ?? undefined) ? null : context.request,
          reply: crossing(context.reply?.id) ? null : context.reply,
          awaitingReply: lost ? false : context.awaitingReply,
        };
      }),
      healLink: assign({ partitioned: false }),
    },
  }).createMachine({
    id: 'sagaTransfer',
    context: {
      balances: config.initial,
      log: { phase: 'forward', step: 0 },
      orchestratorUp: true,
      crashes: 0,
      awaitingReply: false,
      partitioned: false,
      partitions: 0,
      request: null,
      reply: null,
      outcomes: {},
    },
    initial: 'running',
    states: {
      running: {
        on: {
          STEP_REQUEST_SENT: { guard: 'orchestratorMaySend', actions: 'sendStepRequest' },
          STEP_COMMITTED: { guard: 'requestDeliverable', actions: 'commitStep' },
          STEP_REFUSED: { guard: 'regionMayRefuse', actions: 'refuseStep' },
          STEP_REPLY_RECEIVED: { guard: 'replyDeliverable', actions: 'logReply' },
          ORCHESTRATOR_CRASHES: { guard: 'orchestratorMayCrash', actions: 'loseMemory' },
          ORCHESTRATOR_RECOVERS: { guard: 'orchestratorDown', actions: 'restartFromLog' },
          PARTITION_STARTS: { guard: 'linkMayFail', actions: 'cutLink' },
          PARTITION_HEALS: { guard: 'linkDown', actions: 'healLink' },
        },
      },
    },
  });
}

export type SagaTransferModel = ReturnType<typeof createSagaTransferModel>;
export type SagaSnapshot = { context: SagaContext };
