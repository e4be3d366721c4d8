/**
 * 3.2's status handling, simulated: each handling is judged by what it does to an endpoint that
 * redirects, one that is gone, and one that rate-limits, on the answer's own schedule.
 */
import { describe, expect, it } from 'vitest';
import { simulateStatusHandling, statusRunProblem } from '../../specs/03-webhooks/status-handling.ts';
import type { StatusHandling } from '../../specs/03-webhooks/answer-types.ts';

const good: StatusHandling = { redirect: 'failure', gone: 'disable_endpoint', tooManyRequests: 'wait_retry_after' };
const schedules: [string, number[]][] = [
  ['doubling from 5 min', Array.from({ length: 8 }, (_, k) => 300 * 2 ** k)],
  ['the Standard Webhooks example', [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400]],
  ['one retry only', [60]],
];

describe('status handling, simulated', () => {
  it.each(schedules)('the suggested handling harms no receiver on %s', (_, delays) => {
    const run = simulateStatusHandling(good, delays);
    expect(run).toEqual({ deliveredUnseen: 0, sentToUnregisteredUrl: 0, requestsAfterGone: 0, requestsBeforeRetryAfter: 0, eventsGivenUp: 0 });
    expect(statusRunProblem(run, good)).toBeUndefined();
  });

  it.each(schedules)('each wrong handling shows in its own figure on %s', (_, delays) => {
    const figure = (patch: Partial<StatusHandling>) => simulateStatusHandling({ ...good, ...patch }, delays);
    expect(figure({ redirect: 'success' }).deliveredUnseen).toBe(24);
    expect(figure({ redirect: 'follow' }).sentToUnregisteredUrl).toBe(24);
    expect(figure({ gone: 'stop_this_event' }).requestsAfterGone).toBeGreaterThan(0);
    // Retrying a 410 costs more requests than stopping only the event that got it.
    expect(figure({ gone: 'retry' }).requestsAfterGone).toBeGreaterThan(figure({ gone: 'stop_this_event' }).requestsAfterGone);
    expect(figure({ tooManyRequests: 'give_up' }).eventsGivenUp).toBe(30);
  });

  it('retrying a 429 on the schedule is caught when the schedule retries inside the Retry-After', () => {
    const run = simulateStatusHandling({ ...good, tooManyRequests: 'retry_on_schedule' }, schedules[0]![1]);
    expect(run.requestsBeforeRetryAfter).toBeGreaterThan(0);
    expect(statusRunProblem(run, { ...good, tooManyRequests: 'retry_on_schedule' })).toMatch(/reached the endpoint before the time its Retry-After asked for/);
  });
});
