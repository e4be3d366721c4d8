/** Validators for chapter 1's answer shapes (the generic ones live in tools/grading/shape.ts). */
import { isListOf, isOneOf } from '../../tools/grading/shape.ts';
import type { HttpStatus, ServerStep } from '../../models/idempotency-store/machine.ts';

const statuses: readonly HttpStatus[] = [200, 400, 409, 500];
export const knownSteps: readonly ServerStep[] = [
  'look_up_key',
  'compare_parameters',
  'lock_key',
  'process_request',
  'return_conflict',
  'return_parameters_error',
  'replay_saved_response',
];

export const isStatus = isOneOf(...statuses);
export const isStepList = isListOf(...knownSteps);
