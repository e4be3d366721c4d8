/**
 * What the model says about the exercise's scenario. The checks compare a student's answers
 * with these results, and the answer key prints them: both come from the same runs.
 */
import { explore, type Exploration } from '../../tools/explore/explore.ts';
import { memoByValue } from '../../tools/explore/memo.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import {
  candidateEvents,
  createIdempotencyModel,
  scenarioConfig,
  type ApiDesign,
  type IdempotencyConfig,
  type IdempotencyContext,
  type IdempotencyEvent,
  type Response,
} from '../../models/idempotency-store/machine.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { idempotencyInvariants } from './invariants.ts';
import type { RetryWithoutKeysPrediction } from './answer-types.ts';
import { idempotencyScenario } from '../../models/idempotency-store/scenario.ts';

export type Snapshot = { context: IdempotencyContext };
export type IdempotencyExploration = Exploration<Snapshot, IdempotencyEvent>;

/** The scenario without idempotency keys: the same client, the same timing, no key sent. */
export const keysOffConfig: IdempotencyConfig = { ...scenarioConfig, keyForAttempt: null };
/** A retry that reuses the key with changed parameters (a client bug). */
export const changedBodyConfig: IdempotencyConfig = { ...scenarioConfig, retryBody: 'changed' };
/** The first attempt fails validation; the client corrects it and retries with the same key. */
export const invalidFirstConfig: IdempotencyConfig = { ...scenarioConfig, firstBody: 'invalid' };
/** The card network may fail a charge: the API saves a 500 and replays it. */
export const cardNetworkErrorConfig: IdempotencyConfig = { ...scenarioConfig, cardNetworkMayFail: true };
/**
 * A crash at any point, card network failures, and a lock that times out (30 s) before the
 * retry arrives (33 s), so that the retry may resume a request that is slow, not dead: the
 * recovery paths, and the crash window between the card network's approval and saving.
 */
export const recoveryConfig: IdempotencyConfig = { ...scenarioConfig, maxCrashes: 1, cardNetworkMayFail: true, lockTimeoutSeconds: idempotencyScenario.crashWindowLockTimeoutSeconds };

/** The recovery config with each way of making the foreign call. */
export const designConfig = (apiDesign: ApiDesign): IdempotencyConfig => ({ ...recoveryConfig, apiDesign, cardNetworkMayFail: false });
export const apiDesigns: readonly ApiDesign[] = ['no_downstream_key', 'own_lock_check', 'downstream_key'];
const designConfigs = new Map(apiDesigns.map((d) => [d, designConfig(d)]));
export const configOfDesign = (apiDesign: ApiDesign) => designConfigs.get(apiDesign)!;

/** Does the run to state `i` crash after the card network approved attempt 1, before attempt 1's result was saved and before another attempt called the card network? */
export function crashedInWindow(exploration: IdempotencyExploration, i: number): boolean {
  const steps = exploration.pathTo(i).steps;
  const called = steps.findIndex((s) => s.event.type === 'API_CALLS_CARD_NETWORK' && s.event.attempt === 1);
  const approved = steps.findIndex((s) => s.snapshot.context.charges.some((c) => c.attempt === 1));
  const crashed = steps.findIndex((s) => s.event.type === 'SERVER_CRASHES');
  const saved = steps.findIndex((s) => s.event.type === 'API_SAVES_RESULT' && s.event.attempt === 1);
  // Before another attempt calls the card network: the crash, not a slow request, is what the retry resumes from.
  const resumed = steps.findIndex((s) => s.event.type === 'API_CALLS_CARD_NETWORK' && s.event.attempt !== 1);
  return called >= 0 && approved >= 0 && crashed > approved && (saved < 0 || saved > crashed) && (resumed < 0 || resumed > crashed);
}

/** The first state (breadth-first: a shortest run to it) with two charges after a crash in that window. */
export function crashWindowRun(exploration: IdempotencyExploration): number | undefined {
  // Attempt 2 still in memory after one crash: the crash came before it arrived.
  const i = exploration.snapshots.findIndex(
    ({ context }, i) => context.charges.length >= 2 && context.crashes > 0 && context.processing.some((r) => r.attempt === 2) && crashedInWindow(exploration, i),
  );
  return i < 0 ? undefined : i;
}

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
export function configForWindow(ttlSeconds: number, windowSeconds: number, base: IdempotencyConfig = scenarioConfig): IdempotencyConfig {
  const delay = windowSeconds - base.clientTimeoutSeconds;
  if (delay < 0) throw new Error(`a retry window of ${windowSeconds} s ends before the client's ${base.clientTimeoutSeconds} s timeout`);
  return { ...base, ttlSeconds, retryDelaysSeconds: [delay] };
}

/**
 * Can the client's retry be charged a second time when keys live `ttl` and retries span `window`?
 * Once per distinct question: 1.3's check asks it of each answer, the key of a grid of them.
 */
export const doubleChargeRun = (ttlSeconds: number, windowSeconds: number, base: IdempotencyConfig = scenarioConfig) =>
  doubleCharge(configForWindow(ttlSeconds, windowSeconds, base));

const doubleCharge = memoByValue((config: IdempotencyConfig) => {
  const exploration = explore(createIdempotencyModel(config), {
    events: candidateEvents,
    invariants: [idempotencyInvariants[0]!],
  }) as IdempotencyExploration;
  const violation = exploration.violations[0];
  return {
    exploration,
    possible: violation !== undefined,
    trace: violation ? formatTrace(violation.trace, { step: describeStep, state: describeState }) : undefined,
  };
});

/**
 * A prediction task's trace, cut before its decisive step: the visible part stops before the
 * value to predict, the rest is for `--reveal`.
 */
export function traceBefore(
  exploration: IdempotencyExploration,
  state: number,
  decisive: (event: IdempotencyEvent) => boolean,
): { trace: string; reveal: string | undefined } {
  const path = exploration.pathTo(state);
  const cut = path.steps.findIndex((s) => decisive(s.event));
  const lines = traceText(exploration, state).split('\n');
  if (cut < 0) return { trace: lines.join('\n'), reveal: undefined };
  const at = lines.findIndex((line) => line.startsWith(`${String(cut + 1).padStart(3)}. `));
  return { trace: lines.slice(0, at).join('\n'), reveal: lines.slice(at).join('\n') };
}

/** The retry reaching the API: the step after which a prediction about the retry is decided. */
export const retryArrives = (event: IdempotencyEvent) => event.type === 'REQUEST_ARRIVES' && event.attempt === 2;

/**
 * With a downstream key, the same crash recovered: the first state where the resuming retry
 * (still in memory after the one crash, so the crash came first) has the card network's replay
 * of charge #1.
 */
export function crashRecoveredRun(exploration: IdempotencyExploration): number | undefined {
  const i = exploration.snapshots.findIndex(
    ({ context }, i) =>
      context.crashes > 0 &&
      context.charges.length === 1 &&
      context.processing.some((r) => r.attempt === 2 && r.answer?.approved === true && r.answer.chargeId === 1) &&
      crashedInWindow(exploration, i),
  );
  return i < 0 ? undefined : i;
}
