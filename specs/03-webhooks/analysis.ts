/**
 * What the model says about the exercise's scenario. The checks compare a student's answers
 * with these results, and the answer key prints them: both come from the same runs.
 */
import { explore, type Exploration } from '../../tools/explore/explore.ts';
import { memoByValue } from '../../tools/explore/memo.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import {
  candidateEvents,
  createWebhookDeliveryModel,
  scenarioConfig,
  scenarioRetryDelaysSeconds,
  type WebhookContext,
  type WebhookDeliveryConfig,
  type WebhookDeliveryEvent,
} from '../../models/webhook-delivery/machine.ts';
import { dedupingHandler } from '../../models/webhook-delivery/merchant.ts';
import { describeState, describeStep } from '../../models/webhook-delivery/describe.ts';
import { replayPossible, webhookInvariantsFor } from './invariants.ts';

export type Snapshot = { context: WebhookContext };
export type WebhookExploration = Exploration<Snapshot, WebhookDeliveryEvent>;

/** The scenario with a handler that skips event ids it has seen. */
export const dedupConfig: WebhookDeliveryConfig = { ...scenarioConfig, handler: dedupingHandler };
/** One more retry, after a wait as long as the whole promised window: it lands past the promise. */
export const pastDeadlineConfig: WebhookDeliveryConfig = {
  ...dedupConfig,
  retryDelaysSeconds: [...scenarioRetryDelaysSeconds, scenarioConfig.deadlineSeconds],
};
/** A schedule that backs off, then hurries: 1 h, then 1 min. */
export const shrinkingConfig: WebhookDeliveryConfig = { ...dedupConfig, retryDelaysSeconds: [3600, 60] };
/** After the last retry the event is thrown away and the merchant not told. */
export const discardConfig: WebhookDeliveryConfig = {
  ...dedupConfig,
  terminalPolicy: { event: 'discard', notifyMerchant: false, allowReplay: false, endpoint: 'keep_enabled', warnBeforeDisabling: false, backstop: 'none' },
};

export interface CheckedExploration {
  exploration: WebhookExploration;
  /** Ids of the invariants (and graph property) violated, with the shortest trace of each. */
  violations: { id: string; statement: string; state: number | undefined; trace: string }[];
}

export const traceText = (exploration: WebhookExploration, state: number) =>
  formatTrace(exploration.pathTo(state), { step: describeStep, state: describeState });

/**
 * Every reachable state of a config, with the four invariants and WEBHOOK-5 checked; once per
 * distinct config (its figures, and its handler by identity): the checks of 3.1, 3.2 and 3.4
 * build their config from the answer each time.
 */
export const exploreConfig = memoByValue((config: WebhookDeliveryConfig): CheckedExploration => {
  const exploration = explore(createWebhookDeliveryModel(config), {
    events: candidateEvents,
    invariants: webhookInvariantsFor(config.deadlineSeconds),
    stopAtFirstViolation: false,
    keepEdges: true,
  }) as WebhookExploration;
  const violations = exploration.violations.map((v) => ({
    id: v.property.id,
    statement: v.property.statement,
    state: undefined as number | undefined,
    trace: formatTrace(v.trace, { step: describeStep, state: describeState }),
  }));
  const stuck = replayPossible.failsAt(exploration);
  if (stuck !== undefined) {
    violations.push({ id: replayPossible.id, statement: replayPossible.statement, state: stuck, trace: traceText(exploration, stuck) });
  }
  return { exploration, violations };
});

/** How the finished runs end: delivered, dead-lettered, discarded. */
export function endings(exploration: WebhookExploration): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of exploration.terminal) {
    const status = exploration.snapshots[i]!.context.status;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/**
 * The shortest run in which an acknowledgement is lost and the redelivery reaches the handler
 * again, ending delivered: the answer to 3.1 in one picture.
 */
export function lostAckRun(config: WebhookDeliveryConfig): number | undefined {
  const { exploration } = exploreConfig(config);
  const i = exploration.snapshots.findIndex((s) => s.context.status === 'delivered' && s.context.deliveriesHandled === 2);
  return i < 0 ? undefined : i;
}

/** The shortest run that dead-letters the event, then delivers it by a replay. */
export function replayRun(config: WebhookDeliveryConfig): number | undefined {
  const { exploration } = exploreConfig(config);
  const i = exploration.snapshots.findIndex((s) => s.context.status === 'delivered' && s.context.replays === 1);
  return i < 0 ? undefined : i;
}
