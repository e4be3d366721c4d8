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
            netMinor: (order?.netMinor ?? 0) + (paid ? event.amountMinor : event.type === 'refund.created' ? -event.amountMinor : 0),
          },
        },
        receiptsSent: state.receiptsSent + (paid ? 1 : 0),
      };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: byCreated }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/out of order/) });
    // The stream that breaks it has a refund created in the same second as its payment.
    const lines = report.trace!.split('\n').filter((l) => /^\s*\d+\. evt_/.test(l));
    const created = lines.map((l) => / (\S+) (order_\d+) \d+(?: \(amount_refunded \d+\))? created (\d+)$/.exec(l)!).map(([, type, order, at]) => `${order}@${at}:${type}`);
    expect(created.some((a) => created.some((b) => a !== b && a.split(':')[0] === b.split(':')[0]))).toBe(true);
  });

  it('3.1: subtracting charge.refunded’s cumulative amount_refunded on every delivery counts earlier refunds again', async () => {
    const cumulativeTwice = (state: MerchantState, event: WebhookEvent): MerchantState => {
      const next = reference.handleWebhook(state, event);
      if (event.type !== 'charge.refunded' || next === state) return next;
      const order = next.orders[event.orderId]!;
      return { ...next, orders: { ...next.orders, [event.orderId]: { ...order, netMinor: order.netMinor - event.amountRefundedMinor! } } };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: cumulativeTwice }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/netMinor/) });
  });

  it('3.1: right but different: net amounts from the Charge’s running total (largest amount_refunded seen), refund.created ignored, passes', async () => {
    type Kept = MerchantState['orders'][string] & { paidMinor?: number; refundedMinor?: number };
    const fromCharge = (state: MerchantState, event: WebhookEvent): MerchantState => {
      if (state.processedEventIds.includes(event.id)) return state;
      const order = state.orders[event.orderId] as Kept | undefined;
      const paidMinor = event.type === 'payment_intent.succeeded' ? event.amountMinor : (order?.paidMinor ?? 0);
      const refundedMinor = Math.max(order?.refundedMinor ?? 0, event.type === 'charge.refunded' ? event.amountRefundedMinor! : 0);
      const refunded = event.type !== 'payment_intent.succeeded' || order?.status === 'refunded';
      const kept: Kept = { status: refunded ? 'refunded' : 'paid', statusSetAt: event.created, netMinor: paidMinor - refundedMinor, paidMinor, refundedMinor };
      return {
        processedEventIds: [...state.processedEventIds, event.id],
        orders: { ...state.orders, [event.orderId]: kept },
        receiptsSent: state.receiptsSent + (event.type === 'payment_intent.succeeded' ? 1 : 0),
      };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: fromCharge }));
    expect(report.status, report.message).toBe('pass');
  });

  it('3.1: deduplicating by a hash of the payload instead of the event id drops a second, identical refund', async () => {
    const byPayload = (state: MerchantState, event: WebhookEvent) => {
      const { id: _ignored, ...payload } = event;
      const key = `payload:${JSON.stringify(payload)}`;
      return state.processedEventIds.includes(key) ? state : { ...reference.handleWebhook(state, event), processedEventIds: [...reference.handleWebhook(state, event).processedEventIds, key] };
    };
    const report = await check('3.1', withAnswer({ handleWebhook: byPayload }));
    expect(report.status).toBe('fail');
    // The message names the wrong fields of the state, never their right values.
    expect(report.message).toMatch(/in which .* (is|are) not what processing each event once/);
    expect(report.message).not.toMatch(/exactly-once processing with \{/);
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

  const perEndpoint = { queueing: 'per_endpoint' as const, timeoutSeconds: 30, maxInFlightPerEndpoint: 10 };
  const bounded = { maxQueuedPerEndpoint: 500, alertMerchant: true };

  it('3.3: right but different: a retry lane instead of a slow lane, with a bounded backlog, passes', async () => {
    const policy = { ...perEndpoint, slowLane: null, retryLane: { workerShare: 0.3 }, backlog: bounded };
    const report = await check('3.3', withAnswer({ dispatchPolicy: () => policy }));
    expect(report.status, report.message).toBe('pass');
  });

  it('3.3: a merchant that stays slow, with no bound on its backlog, fails: its queue grows in memory', async () => {
    const policy = { ...perEndpoint, slowLane: { slowAfterSeconds: 5, workerShare: 0.25 } };
    const report = await check('3.3', withAnswer({ dispatchPolicy: () => policy }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/one merchant that stays slow has \d+ events waiting in the dispatcher’s memory at once .*more than the 1000 it may hold/) });
  });

  it('3.3: a bounded backlog that alerts nobody fails, and so does a bound too large to protect memory', async () => {
    const silent = { ...perEndpoint, slowLane: { slowAfterSeconds: 5, workerShare: 0.25 }, backlog: { maxQueuedPerEndpoint: 500, alertMerchant: false } };
    expect((await check('3.3', withAnswer({ dispatchPolicy: () => silent }))).message).toMatch(/the merchant that stays slow is never told/);
    const huge = { ...perEndpoint, slowLane: { slowAfterSeconds: 5, workerShare: 0.25 }, backlog: { maxQueuedPerEndpoint: 100_000, alertMerchant: true } };
    expect((await check('3.3', withAnswer({ dispatchPolicy: () => huge }))).message).toMatch(/more than the 1000 it may hold/);
  });

  it('3.3: the simulation runs on the 3.2 answer’s schedule', async () => {
    const standard = { ...reference.retrySchedule(), baseDelaysSeconds: [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400], promiseHours: 84 };
    const report = await check('3.3', withAnswer({ retrySchedule: () => standard }));
    expect(report).toMatchObject({ status: 'pass', figures: expect.objectContaining({ schedule: '3.2' }) });
  });

  it('3.3: the simulation is deterministic under its seed', () => {
    const policy = reference.dispatchPolicy();
    const small = { ...fleetScenario, merchants: 1000, trafficSeconds: 120 };
    expect(checkDispatchPolicy(policy, small).figures).toEqual(checkDispatchPolicy(policy, small).figures);
  });

});
