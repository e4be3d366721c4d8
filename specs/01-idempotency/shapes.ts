/** Validators for chapter 1's answer shapes (the generic ones live in tools/grading/shape.ts). */
import { describedAs, isBoolean, isInteger, isListOf, isOneOf } from '../../tools/grading/shape.ts';
import type { ClientMove, MarginCause, ServerStep } from './answer-types.ts';

export const knownSteps: readonly ServerStep[] = [
  'validate_parameters',
  'look_up_key',
  'claim_key',
  'compare_parameters',
  'lock_key',
  'process_request',
  'call_card_network',
  'save_result',
  'return_validation_error',
  'return_conflict',
  'return_parameters_error',
  'replay_saved_response',
];

export const clientMoves: readonly ClientMove[] = ['retry with the same key', 'retry with a new key', 'reconcile before any new attempt'];
export const marginCauses: readonly MarginCause[] = ['clock skew', 'queued jobs', 'manual retries', 'lock timeout', 'deploys and outages'];

export const isStatus = describedAs((v) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599, 'an HTTP status code (an integer from 100 to 599)');
export const isStepList = isListOf(...knownSteps);
export const isClientMove = isOneOf(...clientMoves);
export const isPositiveHours = describedAs((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number of hours above 0');
export const isMarginList = describedAs(
  (v) =>
    Array.isArray(v) &&
    v.every((m) => typeof m === 'object' && m !== null && marginCauses.includes((m as { cause: MarginCause }).cause) && isPositiveHours((m as { hours: unknown }).hours)),
  `a list of { cause, hours } with cause one of ${marginCauses.map((c) => JSON.stringify(c)).join(', ')} and hours above 0`,
);
export const requestOutcomeShape = { status: isStatus, replayed: isBoolean, newCharges: isInteger, savesResult: isBoolean };
