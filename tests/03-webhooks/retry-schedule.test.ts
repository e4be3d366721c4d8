/**
 * 3.2 judged by properties against the student's own promise: published schedules pass, wrong
 * ones fail with a message that says what is wrong and not what to write.
 */
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterThreeAnswers, RetrySchedule } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const task = chapter.tasks.find((t) => t.id === '3.2')!;
const check = (patch: Partial<RetrySchedule>) => runTask(chapter, task, { ...reference, retrySchedule: () => ({ ...reference.retrySchedule(), ...patch }) } satisfies ChapterThreeAnswers);

/** The Standard Webhooks spec's example schedule, after the immediate first attempt. */
const standardWebhooks = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];

describe('3.2: published and other sound schedules pass', () => {
  it.each([
    ['the Standard Webhooks example, ±10 %, 84 h promised', { baseDelaysSeconds: standardWebhooks, jitter: 0.1, promiseHours: 84 }],
    ['the Standard Webhooks example, ±50 %, 114 h promised', { baseDelaysSeconds: standardWebhooks, jitter: 0.5, promiseHours: 114 }],
    ['the Standard Webhooks example, full jitter, 76 h promised', { baseDelaysSeconds: standardWebhooks, jitter: 'full' as const, promiseHours: 76 }],
    ['capped exponential backoff, its cap repeated', { baseDelaysSeconds: [60, 300, 1800, 3600, 7200, 14_400, ...Array(6).fill(28_800)] }],
    ['×3 from one minute with ±30 % jitter and a 90 h promise', { jitter: 0.3, promiseHours: 90 }],
    ['a 48 h promise kept by a schedule ending at 30 h', { baseDelaysSeconds: [30, 300, 1800, 7200, 21_600, 36_000, 43_200], promiseHours: 48 }],
  ] as [string, Partial<RetrySchedule>][])('%s', async (_, patch) => {
    const report = await check(patch);
    expect(report.status, report.message).toBe('pass');
  });
});

describe('3.2: wrong schedules fail, saying what is wrong', () => {
  it.each([
    ['retries past the promise: the Standard Webhooks example promising 72 h', { baseDelaysSeconds: standardWebhooks, promiseHours: 72 }, /last retry can be sent 8\d\.\d+ h after the event .* after the 72 h you promise/],
    ['retries past the promise: doubling from one minute for 12 retries', { baseDelaysSeconds: Array.from({ length: 12 }, (_, k) => 60 * 2 ** k) }, /after the 72 h you promise/],
    ['a shrinking schedule', { baseDelaysSeconds: [60, 600, 3600, 21_600, 43_200, 3600, 86_400] }, /retry 6 \(3600 s\) is shorter than the one before it \(43200 s\)/],
    ['fixed intervals', { baseDelaysSeconds: Array(12).fill(300) }, /less than ×10 the first/],
    ['a first retry hours late', { baseDelaysSeconds: Array(20).fill(10_800) }, /first retry can wait/],
    ['a schedule that stops after a few hours while promising three days', { baseDelaysSeconds: [60, 300, 1800, 3600, 7200] }, /under half of the 72 h you promise/],
    ['no jitter', { jitter: 0 }, /no jitter/],
    ['too many attempts', { baseDelaysSeconds: Array.from({ length: 30 }, (_, k) => 60 + k) }, /more than 25/],
    ['too few retries', { baseDelaysSeconds: [600, 6000, 60_000, 120_000] }, /4 retries: fewer than 5/],
    ['a promise of an afternoon', { baseDelaysSeconds: [60, 300, 900, 1800, 3600, 7200], promiseHours: 4 }, /shorter than a day/],
    ['±50 % jitter on a schedule that only just fits 72 h', { jitter: 0.5 }, /after the 72 h you promise/],
  ] as [string, Partial<RetrySchedule>, RegExp][])('%s', async (_, patch, message) => {
    const report = await check(patch);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it.each([
    ['3xx counted as delivered', { redirect: 'success' as const }, /3xx counts as delivered/],
    ['3xx followed', { redirect: 'follow' as const }, /3xx is followed/],
    ['410 retried', { gone: 'retry' as const }, /410 Gone is retried/],
    ['410 stopping only this event', { gone: 'stop_this_event' as const }, /only this event stops/],
    ['429 retried on the schedule', { tooManyRequests: 'retry_on_schedule' as const }, /Retry-After is retried on the schedule/],
    ['429 giving the event up', { tooManyRequests: 'give_up' as const }, /429 ends the event/],
  ])('status handling: %s fails', async (_, patch, message) => {
    const report = await check({ statusHandling: { ...reference.retrySchedule().statusHandling, ...patch } });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
    // The message says what goes wrong, not which option to pick.
    expect(report.message).not.toMatch(/disable_endpoint|wait_retry_after|"failure"/);
  });

  it('jitter given as a percentage, and a missing promise, are the wrong shape', async () => {
    expect((await check({ jitter: 10 })).message).toMatch(/wrong shape: .*jitter is 10; expected "full", or a fraction/);
    expect((await check({ promiseHours: undefined as never })).message).toMatch(/wrong shape: .*promiseHours is undefined/);
  });

  it('a schedule that keeps its promise at the largest jitter only when no attempt waits out its timeout fails', async () => {
    const base = [60, 600, 3600, 21_600, 43_200, 86_400, 86_400];
    const total = base.reduce((a, b) => a + b, 0);
    const report = await check({ baseDelaysSeconds: base, jitter: 0.2, promiseHours: +((total * 1.2 + 100) / 3600).toFixed(4) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/every failed attempt waiting out its 30 s timeout/) });
  });
});
