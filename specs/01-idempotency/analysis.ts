/**
 * What the model says about the exercise's scenario. The checks compare a student's answers
 * with these results, and the answer key prints them: both come from the same runs.
 */
import { explore, type Exploration } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import {
  candidateEvents,
  createIdempotencyModel,
  scenarioConfig,
  type IdempotencyConfig,
  type IdempotencyContext,
  type IdempotencyEvent,
  type Response,
} from '../../models/idempotency-store/machine.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { idempotencyInvariants } from './invariants.ts';
import type { RetryWithoutKeysPrediction } from './answer-types.ts';

export type Snapshot = { context: IdempotencyContext };
export type IdempotencyExploration = Exploration<Snapshot, IdempotencyEvent>;

/** The scenario without idempotency keys: the same client, the same timing, no key sent. */
export const keysOffConfig: IdempotencyConfig = { ...scenarioConfig, keyForAttempt: null };
/** A retry that reuses the key with changed parameters (a client bug). */
export const changedBodyConfig: IdempotencyConfig = { ...scenarioConfig, retryBody: 'changed' };
/** Crashes, card network failures and two retries: the recovery paths. */
export const recoveryConfig: IdempotencyConfig = { ...scenarioConfig, maxCrashes: 1, cardNetworkMayFail: true, retryDelaysSeconds: [5, 10] };

const cache = new Map<IdempotencyConfig, IdempotencyExploration>();

/** Every reachable state of a config, with the four invariants checked in each. */
export function exploreConfig(config: IdempotencyConfig): IdempotencyExploration {
  let result = cache.get(config);
  if (!result) {
    result = explore(createIdempotencyModel(config), {
      events: candidateEvents,
      invariants: idempotencyInvariants,
      stopAtFirstViolation: false,
      keepEdges: true,
    }) as IdempotencyExploration;
    cache.set(config, result);
  }
  return result;
}

export const traceText = (exploration: IdempotencyExploration, state: number) =>
  formatTrace(exploration.pathTo(state), { step: describeStep, state: describeState });

/**
 * The exercise's scenario, as a condition on a finished run: the first attempt was charged
 * before the client's 28 s timeout, the client timed out anyway, and the retry's response
 * reached the client.
 */
export function isScenarioRun({ context }: Snapshot, config: IdempotencyConfig): boolean {
  const firstCharged = context.charges.some((c) => c.attempt === 1 && c.at < config.clientTimeoutSeconds);
  return firstCharged && context.client.phase === 'done' && context.client.result?.attempt === 2;
}

/** The lowest-numbered state is the one nearest the start (breadth-first numbering). */
export function scenarioRuns(config: IdempotencyConfig) {
  const exploration = exploreConfig(config);
  const runs = exploration.terminal.filter((i) => isScenarioRun(exploration.snapshots[i]!, config));
  return { exploration, runs, shortest: runs[0] };
}

export function merchantSees(context: IdempotencyContext, result: Response | null): RetryWithoutKeysPrediction['merchantSees'] {
  if (result?.status !== 200) return 'an error';
  return result.chargeId === context.charges[0]?.id ? "the first attempt's charge" : 'a new charge';
}

/** Outcome of one finished scenario run, in the terms of task 1.1. */
export function outcomeOf({ context }: Snapshot): RetryWithoutKeysPrediction {
  return {
    charges: context.charges.length,
    totalChargedMinor: context.charges.reduce((sum, c) => sum + c.amountMinor, 0),
    merchantSees: merchantSees(context, context.client.result),
  };
}

/** Distinct outcomes over every interleaving of the scenario, as JSON strings with counts. */
export function distinctOutcomes(config: IdempotencyConfig) {
  const { exploration, runs, shortest } = scenarioRuns(config);
  const counts = new Map<string, number>();
  for (const i of runs) {
    const key = JSON.stringify(outcomeOf(exploration.snapshots[i]!));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { exploration, runs, shortest, outcomes: [...counts].map(([json, n]) => ({ outcome: JSON.parse(json) as RetryWithoutKeysPrediction, runs: n })) };
}

/** The first state (a shortest path) matching a condition, or undefined. */
export function firstState(exploration: IdempotencyExploration, condition: (s: Snapshot) => boolean): number | undefined {
  const i = exploration.snapshots.findIndex(condition);
  return i < 0 ? undefined : i;
}

/** A client that sends its one retry `windowSeconds` after the first attempt. */
export function configForWindow(ttlSeconds: number, windowSeconds: number): IdempotencyConfig {
  const delay = windowSeconds - scenarioConfig.clientTimeoutSeconds;
  if (delay < 0) throw new Error(`a retry window of ${windowSeconds} s ends before the client's ${scenarioConfig.clientTimeoutSeconds} s timeout`);
  return { ...scenarioConfig, ttlSeconds, retryDelaysSeconds: [delay] };
}

/** Can the client's retry be charged a second time when keys live `ttl` and retries span `window`? */
export function doubleChargeRun(ttlSeconds: number, windowSeconds: number) {
  const exploration = explore(createIdempotencyModel(configForWindow(ttlSeconds, windowSeconds)), {
    events: candidateEvents,
    invariants: [idempotencyInvariants[0]!],
  }) as IdempotencyExploration;
  const violation = exploration.violations[0];
  return {
    exploration,
    possible: violation !== undefined,
    trace: violation ? formatTrace(violation.trace, { step: describeStep, state: describeState }) : undefined,
  };
}
