import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/01-idempotency/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterOneAnswers, PaymentOperation } from '../../specs/01-idempotency/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/01-idempotency');
const check = (id: string, answers: ChapterOneAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);

describe('chapter 1’s checks', () => {
  it.each(chapter.tasks.map((t) => t.id))('the reference answer to %s passes its check', async (id) => {
    const report = await check(id, reference);
    expect(report.status, report.message).toBe('pass');
  });

  it('1.1: predicting a single charge fails, with the double charge as the trace', async () => {
    const report = await check('1.1', { ...reference, retryWithoutKeys: () => ({ charges: 1, totalChargedMinor: 10_000, merchantSees: 'the first charge' }) });
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/charge #2/);
  });

  it('1.2: claiming the in-flight retry charges fails', async () => {
    const wrong = { ...reference.retryWithKey(), whileFirstInFlight: { status: 200 as const, newCharges: 1 } };
    const report = await check('1.2', { ...reference, retryWithKey: () => wrong });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/whileFirstInFlight: model \{"status":409,"newCharges":0\}/);
  });

  it('1.3: a TTL shorter than the retry window fails with the model’s double charge', async () => {
    const report = await check('1.3', { ...reference, keyTtl: () => ({ ttlHours: 1, retryWindowHours: 12 }) });
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/expires \(TTL reached\)[\s\S]*charge #2/);
  });

  const keyWith = (make: (op: PaymentOperation) => string) => ({ ...reference, makeIdempotencyKey: make });

  it('1.4: a key that includes the attempt number fails, and the model shows the double charge', async () => {
    const report = await check('1.4', keyWith((op) => `${op.orderId}-${op.attempt}`));
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/a retry of the same operation gets the same key/);
    expect(report.trace).toMatch(/charge #2/);
  });

  it('1.4: a key that includes the customer’s email fails', async () => {
    const report = await check('1.4', keyWith((op) => `${op.merchantId}:${op.orderId}:${op.customerEmail}`));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/no card number and no email/) });
  });

  it('1.4: a key shared by two orders fails', async () => {
    const report = await check('1.4', keyWith((op) => `${op.merchantId}:${op.action}`));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/different operations get different keys/) });
  });

  it('1.4: a key longer than 255 characters fails', async () => {
    const report = await check('1.4', keyWith((op) => `${op.merchantId}:${op.orderId}`.padEnd(300, 'x')));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/at most 255 characters/) });
  });
});
