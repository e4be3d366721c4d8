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
  throw new Error('TODO: not answered yet');
}

/** 4.2 — A cross-border payment: the payer's account in the US region, the payee's in the EU. */
export function crossRegionTransfer(): CrossRegionAnswer {
  throw new Error('TODO: not answered yet');
}

/** 4.3 — The breaker's policy: what one breaker guards, its window and thresholds, and what follows a timeout. */
export function breakerPolicy(): BreakerPolicy {
  throw new Error('TODO: not answered yet');
}

/** 4.3 — How the breaker counts an outcome of an authorisation request. */
export function classifyOutcome(outcome: AuthorisationOutcome): OutcomeClass {
  throw new Error('TODO: not answered yet');
}

/**
 * 4.3 — One step of the breaker: its next state, and whether a requested call goes through.
 * A pure function: return a new state, and leave the state, input and policy given as they are.
 */
export function breakerStep(state: BreakerState, input: BreakerInput, policy: BreakerPolicy): BreakerStepResult {
  throw new Error('TODO: not answered yet');
}

/** 4.4 — Every status change of a PaymentIntent: from, event, to. */
export function paymentIntentTransitions(): StatusTransition[] {
  throw new Error('TODO: not answered yet');
}

/** 4.4 — How the client retries a confirm that timed out, and what the retry gets. */
export function confirmRetrySafety(): RetrySafetyAnswer {
  throw new Error('TODO: not answered yet');
}
