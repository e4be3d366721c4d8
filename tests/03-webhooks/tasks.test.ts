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

  it.each([
    ['3.1', 'verifyDelivery'],
    ['3.2', 'retrySchedule'],
    ['3.3', 'dispatchPolicy'],
    ['3.4', 'terminalPolicy'],
  ] as const)('an unanswered %s says which function to edit: %s()', async (id, name) => {
    const stub = () => {
      throw new Error('TODO: not answered yet');
    };
    const report = await check(id, withAnswer({ [name]: stub }));
    expect(report).toMatchObject({ status: 'todo', message: expect.stringMatching(new RegExp(`^not answered yet: edit 03-webhooks/answers.ts: .*${name}\\(\\)`)) });
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

  it('3.1: letting the later `created` decide the status fails when a refund ties with its payment in one second', async () => {
    const byCreated = (state: MerchantState, event: WebhookEvent): MerchantState => {
      if (state.processedEventIds.includes(event.id)) return state;
      const order = state.orders[event.orderId];
      const paid = event.type === 'payment_intent.succeeded';
      const isLatest = order === undefined || event.created >= order.statusSetAt;
      return {
        processedEventIds: [...state.processedEventIds, event.id],
        orders: {
          ...state.orders,
          [event.orderId]: {
            status: isLatest ? (paid ? 'paid' : 'refunded') : order.status,
            statusSetAt: isLatest ? event.created : order.statusSetAt,
            netMinor: (order?.netMinor ?? 0) + (paid ? event.amountMinor : -event.amountMinor),
          },
        },
        receiptsSent: state.receiptsSent + (paid ? 1 : 0),
      };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: byCreated }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/out of order/) });
    // The stream that breaks it has a refund created in the same second as its payment.
    const lines = report.trace!.split('\n').filter((l) => /^\s*\d+\. evt_/.test(l));
    const created = lines.map((l) => / (\S+) (order_\d+) \d+ created (\d+)$/.exec(l)!).map(([, type, order, at]) => `${order}@${at}:${type}`);
    expect(created.some((a) => created.some((b) => a !== b && a.split(':')[0] === b.split(':')[0]))).toBe(true);
  });

  it('3.1: deduplicating by order and type instead of event id loses a second partial refund', async () => {
    const byOrderAndType = (state: MerchantState, event: WebhookEvent) => {
      const key = `${event.orderId}:${event.type}`;
      return state.processedEventIds.includes(key) ? state : { ...reference.handleWebhook(state, event), processedEventIds: [...state.processedEventIds, key] };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: byOrderAndType }));
    expect(report.status).toBe('fail');
  });

  it('3.1: a handler that throws on a refund arriving before its payment is an error (it could not run), with the delivery stream that made it throw', async () => {
    const strict = (state: MerchantState, event: WebhookEvent) => {
      if (event.type === 'refund.created' && !state.orders[event.orderId]) throw new Error(`no order ${event.orderId} to refund`);
      return reference.handleWebhook(state, event);
    };
    const report = await check('3.1', withAnswer({ handleWebhook: strict }));
    expect(report).toMatchObject({ status: 'error', message: expect.stringMatching(/threw Error: no order order_\d+ to refund on delivery \d+ of the stream below/) });
    expect(report.traceTitle).toMatch(/deliveries, in the order they arrived/);
    expect(report.trace).toMatch(/refund\.created order_\d+ .*← throws$/);
  });

  it('3.1: a failing stream is titled as the deliveries, not as the model', async () => {
    const report = await check('3.1', withAnswer({ handleWebhook: dedupingHandler }));
    expect(report.traceTitle).toBe('the delivery stream that breaks it');
  });

  it('3.1: a handler that changes the state it was given fails, saying it must be pure', async () => {
    const mutating = (state: MerchantState, event: WebhookEvent) => {
      const next = reference.handleWebhook(state, event);
      state.processedEventIds.push(event.id);
      return next;
    };
    const report = await check('3.1', withAnswer({ handleWebhook: mutating }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/changed its input \(state\.processedEventIds\).*pure function/) });
  });

  it('3.1: a handler that edits an order in place and returns the same object fails too', async () => {
    const inPlace = (state: MerchantState, event: WebhookEvent) => {
      if (state.processedEventIds.includes(event.id)) return state;
      const next = reference.handleWebhook(state, event);
      Object.assign(state, next);
      return state;
    };
    const report = await check('3.1', withAnswer({ handleWebhook: inPlace }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/changed its input \(state\.processedEventIds, state\.orders, state\.receiptsSent\)/) });
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
    const report = await check('3.2', schedule([60, 300, 1800, 3600, 7200]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/third day/) });
  });

  it('3.2: capped exponential backoff, its largest delay repeated under jitter, passes', async () => {
    const capped = [60, 300, 1800, 3600, 7200, 14400, ...Array.from({ length: 6 }, () => 28800)];
    const report = await check('3.2', schedule(capped));
    expect(report.status, report.message).toBe('pass');
  });

  it('3.2: a base delay shorter than the one before fails, and the message says what to do', async () => {
    const report = await check('3.2', schedule([60, 600, 3600, 6 * 3600, 12 * 3600, 3600, 24 * 3600, 24 * 3600]));
    expect(report).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/retry 6 \(3600 s\) is shorter than the one before it \(43200 s\).*Make each base delay at least the one before/),
    });
  });

  it('3.2: a property that fails shows the jitter draw, titled as such', async () => {
    const report = await check('3.2', schedule([60, 300, 1800, 3600, 7200]));
    expect(report.traceTitle).toBe('the jitter draw that breaks it');
  });

  it('3.2: jitter given as a percentage is the wrong shape, and the message says a fraction is expected', async () => {
    const report = await check('3.2', schedule(reference.retrySchedule().baseDelaysSeconds, 10));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/jitterFraction is 10; expected a fraction from 0 to 1 \(0.1 for ±10 %\), not a percentage/) });
  });

  it('3.2: a schedule without jitter fails, and so does one with too many attempts', async () => {
    expect((await check('3.2', schedule(reference.retrySchedule().baseDelaysSeconds, 0))).message).toMatch(/no jitter/);
    expect((await check('3.2', schedule(Array.from({ length: 30 }, () => 8000)))).message).toMatch(/more than 25/);
  });

  it('3.2: a retry every 3 hours is not exponential backoff: the first retry comes too late', async () => {
    const report = await check('3.2', schedule(Array(20).fill(10800)));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/not exponential backoff: the first retry waits 10800 s, more than 10 min/) });
  });

  it('3.2: a single retry after 60 hours is not a schedule', async () => {
    const report = await check('3.2', schedule([216000]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/not exponential backoff: the first retry waits 216000 s/) });
  });

  it('3.2: fewer than five retries fail, even when they grow and cover the third day', async () => {
    const report = await check('3.2', schedule([600, 6000, 60000, 120000]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/4 retries: fewer than 5/) });
  });

  it('3.2: delays that grow by less than ×1.5 fail, naming the step', async () => {
    const report = await check('3.2', schedule([60, 70, 80, 90, 100, 110]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/retry 2 \(70 s\) is only ×1\.17 the one before \(60 s\).*at least ×1\.5/) });
  });

  it('3.2: a jump of more than ×10 between two delays is not a backoff', async () => {
    const report = await check('3.2', schedule([60, 120, 240, 480, 200000]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/retry 5 \(200000 s\) is ×416\.7 the one before.*at most ×10/) });
  });

  it('3.2: a delay that grows again after the cap fails', async () => {
    const report = await check('3.2', schedule([60, 600, 6000, 6000, 30000, 60000, 60000, 60000]));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/retry 5 \(30000 s\) differs from the cap \(6000 s\) reached at retry 4/) });
  });

  it('3.2: jitter too wide for the 48–72 h window is said directly, with the real bound, not as a property failure', async () => {
    const report = await check('3.2', schedule(reference.retrySchedule().baseDelaysSeconds, 0.3));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/jitter of ±30 % is too wide for the third day: .*×1\.86.*allows ×1\.5, less the 8 × 30 s .*keep jitter below ±19\.9 %/) });
    expect(report.trace).toBeUndefined();
  });

  it('3.2: jitter just below the stated bound can pass, with a schedule that lands in the middle of the third day', async () => {
    const report = await check('3.2', schedule([0, 1, 2, 3, 4, 5, 6, 7].map((k) => 66 * 3 ** k), 0.19));
    expect(report.status, report.message).toBe('pass');
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

  it('3.3: a worker share given as a percentage is the wrong shape, and the message says a fraction is expected', async () => {
    const policy = { ...reference.dispatchPolicy(), slowLane: { slowAfterSeconds: 5, workerShare: 25 } };
    const report = await check('3.3', withAnswer({ dispatchPolicy: () => policy as never }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/workerShare is 25; expected a fraction of the workers .*not a percentage/) });
  });

  it('3.3: the simulation is deterministic under its seed', () => {
    const policy = reference.dispatchPolicy();
    const small = { ...fleetScenario, merchants: 1000, trafficSeconds: 120 };
    expect(checkDispatchPolicy(policy, small).figures).toEqual(checkDispatchPolicy(policy, small).figures);
  });

  it.each([
    ['discarding the event', { event: 'discard' as const }, /^`event` is "discard": .*\(WEBHOOK-1\)/],
    ['not notifying the merchant', { notifyMerchant: false }, /^`notifyMerchant` is false: nobody tells the merchant .*\(WEBHOOK-1\)$/],
    ['leaving the endpoint enabled', { disableEndpoint: false }, /^`disableEndpoint` is false: the endpoint stays on .*\(WEBHOOK-1\)$/],
    ['refusing replays', { allowReplay: false }, /^`allowReplay` is false: .*\(WEBHOOK-5\)$/],
  ])('3.4: %s fails, naming the field and why, with the shortest trace', async (_, patch, message) => {
    const report = await check('3.4', withAnswer({ terminalPolicy: () => ({ ...reference.terminalPolicy(), ...patch }) }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
    const steps = report.trace!.split('\n').filter((line) => /^\s*\d+\./.test(line));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThan(10);
  });
});
