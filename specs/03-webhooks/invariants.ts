/**
 * The invariants of webhook delivery, each with an id, a one-line statement and the task it
 * backs. The explorer checks the state invariants in every reachable state of a bounded
 * config; WEBHOOK-5 is a property of the whole graph of states (a replay can still succeed
 * from every dead-lettered state), checked on the exploration's edges.
 */
import type { Exploration, Invariant } from '../../tools/explore/explore.ts';
import { exactlyOnce, sameBusinessState } from '../../models/webhook-delivery/merchant.ts';
import { scenarioConfig, type WebhookContext, type WebhookDeliveryEvent } from '../../models/webhook-delivery/machine.ts';

type Snapshot = { context: WebhookContext };

/** The retry window of the exercise: three days after the event, as Stripe's live mode. */
export const DEADLINE_SECONDS = scenarioConfig.deadlineSeconds;

export const endsDeliveredOrDeadLettered: Invariant<Snapshot> = {
  id: 'WEBHOOK-1',
  statement: 'every event ends delivered, or dead-lettered with the merchant notified',
  task: '3.4',
  holds: ({ context }) =>
    context.status === 'pending' ||
    context.status === 'attempting' ||
    context.status === 'scheduled_retry' ||
    context.status === 'delivered' ||
    (context.status === 'dead_lettered' && context.merchantNotified),
};

/** WEBHOOK-2 for a given window: the scenario's 72 h, or the window a 3.2 answer promises. */
export function noAttemptAfter(deadlineSeconds: number): Invariant<Snapshot> {
  return {
    id: 'WEBHOOK-2',
    statement: `no automatic attempt starts later than the promised window after the event was created (${+(deadlineSeconds / 3600).toFixed(2)} h)`,
    task: '3.2',
    holds: ({ context }) => context.attempt === null || context.attempt.kind === 'replay' || context.attempt.at <= deadlineSeconds,
  };
}

export const noAttemptAfterDeadline: Invariant<Snapshot> = noAttemptAfter(DEADLINE_SECONDS);

export const delaysNeverShrink: Invariant<Snapshot> = {
  id: 'WEBHOOK-3',
  statement: 'the delay before each retry is at least the delay before the previous one',
  task: '3.2',
  holds: ({ context }) => context.previousWait === null || context.lastWait! >= context.previousWait,
};

export const duplicateChangesNothing: Invariant<Snapshot> = {
  id: 'WEBHOOK-4',
  statement: 'a duplicate delivery does not change the merchant’s state a second time',
  task: '3.1',
  holds: ({ context }) => context.deliveriesHandled === 0 || sameBusinessState(context.merchant, exactlyOnce([scenarioConfig.event])),
};

export const webhookInvariants = [endsDeliveredOrDeadLettered, noAttemptAfterDeadline, delaysNeverShrink, duplicateChangesNothing];

/** The invariants of a config: WEBHOOK-2 with the config's own deadline. */
export const webhookInvariantsFor = (deadlineSeconds: number) =>
  webhookInvariants.map((invariant) => (invariant.id === noAttemptAfterDeadline.id ? noAttemptAfter(deadlineSeconds) : invariant));

/** A property of the graph of reachable states rather than of one state. */
export interface GraphProperty {
  id: string;
  statement: string;
  task: string;
  /** The number of a state where it fails, or undefined when it holds everywhere. */
  failsAt: (exploration: Exploration<Snapshot, WebhookDeliveryEvent>) => number | undefined;
}

export const replayPossible: GraphProperty = {
  id: 'WEBHOOK-5',
  statement: 'from every dead-lettered state, a replay can still deliver the event',
  task: '3.4',
  failsAt: ({ snapshots, edges }) => {
    // Backwards from every delivered state along the edges: the states that can reach delivery.
    const predecessors = new Map<number, number[]>();
    for (const { from, to } of edges) predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
    const canDeliver = new Set<number>();
    const frontier = snapshots.flatMap((s, i) => (s.context.status === 'delivered' ? [i] : []));
    for (const i of frontier) canDeliver.add(i);
    while (frontier.length > 0) {
      for (const from of predecessors.get(frontier.pop()!) ?? []) {
        if (!canDeliver.has(from)) {
          canDeliver.add(from);
          frontier.push(from);
        }
      }
    }
    // A state whose event was given up (dead-lettered or discarded) before any replay.
    const givenUp = snapshots.findIndex((s, i) => (s.context.status === 'dead_lettered' || s.context.status === 'discarded') && s.context.replays === 0 && !canDeliver.has(i));
    return givenUp < 0 ? undefined : givenUp;
  },
};
