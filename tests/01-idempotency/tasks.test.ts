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
    const report = await check('1.1', { ...reference, retryWithoutKeys: () => ({ charges: 1, totalChargedMinor: 10_000, merchantSees: "the first attempt's charge" }) });
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/charge #2/);
  });

  it('1.2: claiming the in-flight retry charges fails', async () => {
    const wrong = { ...reference.retryWithKey(), whileFirstInFlight: { status: 200 as const, newCharges: 1 } };
    const report = await check('1.2', { ...reference, retryWithKey: () => wrong });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/^whileFirstInFlight = \{"status":200,"newCharges":1\}: not what the model's API does/);
    // The message names what is wrong without giving the answer away; the trace shows the case.
    expect(report.message).not.toMatch(/409/);
    expect(report.trace).toMatch(/key in_flight → look_up_key, compare_parameters, return_conflict/);
  });

  it('1.2: 422 for changed parameters (the IETF draft’s answer) passes as well as Stripe’s 400', async () => {
    const answer = { ...reference.retryWithKey(), withChangedParameters: { status: 422, newCharges: 0 } };
    expect((await check('1.2', { ...reference, retryWithKey: () => answer })).status).toBe('pass');
  });

  it('1.2: an async answer is told it returned a Promise', async () => {
    const report = await check('1.2', { ...reference, retryWithKey: (async () => reference.retryWithKey()) as never });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/returned a Promise/) });
  });

  it('1.3: a TTL of minutes for a window of seconds fails: real retries come hours later', async () => {
    const report = await check('1.3', { ...reference, keyTtl: () => ({ ttlHours: 0.02, retryWindowHours: 0.01 }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/covers only the client's own quick retries/) });
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

  it('1.4: a key without the merchant id passes: Stripe scopes keys to the account', async () => {
    const report = await check('1.4', keyWith((op) => `${op.action}-${op.orderId}`));
    expect(report.status, report.message).toBe('pass');
  });

  it('1.4: a key shared by two orders fails, naming the field and the key', async () => {
    const report = await check('1.4', keyWith((op) => `${op.merchantId}:${op.action}`));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/different operations get different keys/) });
  });

  it('1.4: a key longer than 255 characters fails', async () => {
    const report = await check('1.4', keyWith((op) => `${op.merchantId}:${op.orderId}`.padEnd(300, 'x')));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/at most 255 characters/) });
  });
});
