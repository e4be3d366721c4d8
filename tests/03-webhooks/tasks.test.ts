import { describe, expect, it } from 'vitest';
import { chapter, checkDispatchPolicy } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { dedupingHandler, naiveHandler } from '../../models/webhook-delivery/merchant.ts';
import { fleetScenario } from '../../specs/03-webhooks/simulation.ts';
import type { ChapterThreeAnswers, MerchantState, WebhookEvent } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const check = (id: string, answers: ChapterThreeAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);
const withAnswer = (patch: Partial<ChapterThreeAnswers>) => ({ ...reference, ...patch });

describe('chapter 3’s checks', () => {
  it.each(chapter.tasks.map((t) => t.id))('the reference answer to %s passes its check', async (id) => {
    const report = await check(id, reference);
    expect(report.status, report.message).toBe('pass');
  });

  it('3.1: a handler without deduplication fails on redeliveries, with the model’s lost acknowledgement as the trace', async () => {
    const report = await check('3.1', withAnswer({ handleWebhook: naiveHandler }));
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/redelivered events leave the state exactly-once/);
    expect(report.trace).toMatch(/the 200 for attempt 1 is lost/);
  });

  it('3.1: deduplicating by event id but letting the last arrival set the status fails on reorders', async () => {
    const report = await check('3.1', withAnswer({ handleWebhook: dedupingHandler }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/out of order/) });
  });

  it('3.1: deduplicating by order and type instead of event id loses a second partial refund', async () => {
    const byOrderAndType = (state: MerchantState, event: WebhookEvent) => {
      const key = `${event.orderId}:${event.type}`;
      return state.processedEventIds.includes(key) ? state : { ...reference.handleWebhook(state, event), processedEventIds: [...state.processedEventIds, key] };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: byOrderAndType }));
    expect(report.status).toBe('fail');
  });

  it('3.1: a handler that returns nothing is reported as the wrong shape', async () => {
    const report = await check('3.1', withAnswer({ handleWebhook: (() => undefined) as never }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/wrong shape/) });
  });

  const schedule = (baseDelaysSeconds: number[], jitterFraction = 0.1) => withAnswer({ retrySchedule: () => ({ baseDelaysSeconds, jitterFraction, jitterDescription: '' }) });

  it('3.2: doubling from one minute for 12 retries reaches past 72 h', async () => {
    const report = await check('3.2', schedule(Array.from({ length: 12 }, (_, k) => 60 * 2 ** k)));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/no retry is sent more than 72 h/) });
  });

  it('3.2: retries that stop after a few hours do not cover the three days', async () => {
    const report = await check('3.2', schedule([60, 300, 1800, 3600]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/third day/) });
  });

  it('3.2: a capped schedule with equal delays shrinks under jitter', async () => {
    const report = await check('3.2', schedule([60, 600, 3600, 6 * 3600, 12 * 3600, 12 * 3600, 12 * 3600]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/delays never shrink/) });
  });

  it('3.2: a schedule without jitter fails, and so does one with too many attempts', async () => {
    expect((await check('3.2', schedule(reference.retrySchedule().baseDelaysSeconds, 0))).message).toMatch(/no jitter/);
    expect((await check('3.2', schedule(Array.from({ length: 30 }, () => 8000)))).message).toMatch(/more than 25/);
  });

  it('3.3: one shared FIFO queue lets the slow merchants delay everyone', async () => {
    const report = await check('3.3', withAnswer({ dispatchPolicy: () => ({ queueing: 'shared_fifo', timeoutSeconds: 30 }) }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/healthy merchants’ p99/) });
  });

  it('3.3: cutting the timeout to 5 s abandons the slow merchants', async () => {
    const policy = { queueing: 'per_endpoint' as const, timeoutSeconds: 5, maxInFlightPerEndpoint: 10, slowLane: null };
    const report = await check('3.3', withAnswer({ dispatchPolicy: () => policy }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/never delivered/) });
  });

  it('3.3: the simulation is deterministic under its seed', () => {
    const policy = reference.dispatchPolicy();
    const small = { ...fleetScenario, merchants: 1000, trafficSeconds: 120 };
    expect(checkDispatchPolicy(policy, small).figures).toEqual(checkDispatchPolicy(policy, small).figures);
  });

  it.each([
    ['discarding the event', { event: 'discard' as const }, /WEBHOOK-1/],
    ['not notifying the merchant', { notifyMerchant: false }, /WEBHOOK-1/],
    ['leaving the endpoint enabled', { disableEndpoint: false }, /WEBHOOK-1/],
    ['refusing replays', { allowReplay: false }, /WEBHOOK-5/],
  ])('3.4: %s fails', async (_, patch, id) => {
    const report = await check('3.4', withAnswer({ terminalPolicy: () => ({ ...reference.terminalPolicy(), ...patch }) }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(id) });
    expect(report.trace).toBeTruthy();
  });
});
