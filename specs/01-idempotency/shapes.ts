/** Validators for chapter 1's answer shapes (the generic ones live in tools/grading/shape.ts). */
import { describedAs, isListOf } from '../../tools/grading/shape.ts';
import type { ServerStep } from '../../models/idempotency-store/machine.ts';

export const knownSteps: readonly ServerStep[] = [
  'look_up_key',
  'compare_parameters',
  'lock_key',
  'process_request',
  'return_conflict',
  'return_parameters_error',
  'replay_saved_response',
];

export const isStatus = describedAs((v) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599, 'an HTTP status code (an integer from 100 to 599)');
export const isStepList = isListOf(...knownSteps);
