import { createHash, createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/01-idempotency/chapter.ts';
import { idempotencyScenario } from '../../models/idempotency-store/scenario.ts';
import { runTask, type TaskReport } from '../../tools/grading/run-task.ts';
import type { ChapterOneAnswers, KeyedRetryAnswer, PaymentOperation, TtlAnswer } from '../../specs/01-idempotency/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/01-idempotency');
const check = (id: string, answers: ChapterOneAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A failing message names what is wrong, never the value that would pass. */
const givesNothingAway = (report: TaskReport, ...answers: string[]) => {
  for (const answer of answers) expect(report.message).not.toContain(answer);
};

describe('chapter 1’s checks: the reference answers', () => {
  it.each(chapter.tasks.map((t) => t.id))('the reference answer to %s passes its check', async (id) => {
    const report = await check(id, reference);
    expect(report.status, report.message).toBe('pass');
  });
});

describe('1.1', () => {
  it('predicting a single charge fails; the visible trace stops before the retry reaches the API, the rest is for --reveal', async () => {
    const report = await check('1.1', { ...reference, retryWithoutKeys: () => ({ charges: 1, totalChargedMinor: 10_000, merchantSees: "the first attempt's charge" }) });
    expect(report.status).toBe('fail');
    expect(report.trace).not.toMatch(/charge #2/);
    expect(report.trace).toMatch(/merchant sends attempt 2/);
    expect(report.reveal).toMatch(/attempt 2 reaches the API[\s\S]*charge #2/);
    givesNothingAway(report, '20000', 'a new charge');
  });

  it('an extra explanatory field is ignored', async () => {
    const report = await check('1.1', { ...reference, retryWithoutKeys: () => ({ ...reference.retryWithoutKeys({ ...idempotencyScenario }), why: 'the API cannot tell the retry from a new payment' }) as never });
    expect(report.status, report.message).toBe('pass');
  });
});

describe('1.2', () => {
  const withRetry = (change: Partial<KeyedRetryAnswer>) => ({ ...reference, retryWithKey: () => ({ ...reference.retryWithKey(), ...change }) });

  it('a retry that charges while the first is in flight fails, naming the case, not the answer', async () => {
    const report = await check('1.2', withRetry({ whileFirstInFlight: { status: 200, replayed: false, newCharges: 1, savesResult: true } }));
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/^whileFirstInFlight: status = 200, newCharges = 1, savesResult = true: not what the model’s API does/);
    givesNothingAway(report, '409');
    expect(report.trace).not.toMatch(/return_conflict/);
    expect(report.reveal).toMatch(/key locked → .*return_conflict/);
  });

  it('a server that re-executes the completed retry fails: by its outcome, and by its steps', async () => {
    const outcome = await check('1.2', withRetry({ afterCompletion: { status: 200, replayed: false, newCharges: 1, savesResult: true } }));
    expect(outcome).toMatchObject({ status: 'fail', message: expect.stringMatching(/^afterCompletion: replayed = false, newCharges = 1, savesResult = true/) });
    const steps = await check('1.2', withRetry({ steps: ['look_up_key', 'compare_parameters', 'process_request', 'call_card_network', 'save_result', 'replay_saved_response'] }));
    expect(steps).toMatchObject({ status: 'fail', message: expect.stringMatching(/execute the request again/) });
  });

  it('steps that answer the one retry twice (a conflict, then the replay) fail', async () => {
    const report = await check('1.2', withRetry({ steps: ['look_up_key', 'compare_parameters', 'return_conflict', 'replay_saved_response'] }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/answer the one retry 2 times/) });
  });

  it('a replay without comparing the parameters fails', async () => {
    const report = await check('1.2', withRetry({ steps: ['look_up_key', 'replay_saved_response'] }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/never compare/) });
  });

  it('saving the validation error (so the corrected retry replays it) fails', async () => {
    const report = await check('1.2', withRetry({ afterValidationError: { status: 400, replayed: true, newCharges: 0, savesResult: false } }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^afterValidationError: status = 400, replayed = true, newCharges = 0, savesResult = false/) });
  });

  it('re-executing after a saved 500 fails', async () => {
    const report = await check('1.2', withRetry({ afterCardNetworkError: { status: 200, replayed: false, newCharges: 1, savesResult: true } }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^afterCardNetworkError/) });
  });

  it('a client that loops on a replayed 500, or retries it under a new key, fails', async () => {
    const loop = await check('1.2', withRetry({ clientAfterReplayed500: 'retry with the same key' }));
    expect(loop).toMatchObject({ status: 'fail', message: expect.stringMatching(/replays the same saved 500/) });
    expect(loop.trace).toMatch(/500 card network error \(replayed\)/);
    const fresh = await check('1.2', withRetry({ clientAfterReplayed500: 'retry with a new key' }));
    expect(fresh).toMatchObject({ status: 'fail', message: expect.stringMatching(/leaves the outcome unknown/) });
    givesNothingAway(fresh, 'reconcile');
  });

  it('a corrected request reusing the key of a saved 400 fails', async () => {
    const report = await check('1.2', withRetry({ clientAfterCorrecting400: 'retry with the same key' }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^clientAfterCorrecting400/) });
    givesNothingAway(report, 'new key');
  });

  it('brandur’s claim-then-compare (INSERT … ON CONFLICT, then compare) passes', async () => {
    const report = await check('1.2', withRetry({ steps: ['claim_key', 'compare_parameters', 'replay_saved_response'] }));
    expect(report.status, report.message).toBe('pass');
  });

  it('validating after finding the key, and 422 for changed parameters (the IETF draft’s answer), pass', async () => {
    const report = await check(
      '1.2',
      withRetry({
        steps: ['look_up_key', 'compare_parameters', 'validate_parameters', 'replay_saved_response'],
        withChangedParameters: { status: 422, replayed: false, newCharges: 0, savesResult: false },
      }),
    );
    expect(report.status, report.message).toBe('pass');
  });

  it('an async answer is told it returned a Promise', async () => {
    const report = await check('1.2', { ...reference, retryWithKey: (async () => reference.retryWithKey()) as never });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/returned a Promise/) });
  });
});

describe('1.3', () => {
  const withTtl = (change: Partial<TtlAnswer>) => ({ ...reference, keyTtl: () => ({ ...reference.keyTtl(), ...change }) });

  it('a TTL of minutes for a window of seconds fails: real retries come hours later', async () => {
    const report = await check('1.3', withTtl({ ttlHours: 0.02, retryWindowHours: 0.01 }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/covers only the client's own quick retries/) });
  });

  it('a TTL shorter than the retry window fails with the model’s double charge', async () => {
    const report = await check('1.3', withTtl({ ttlHours: 1, retryWindowHours: 12 }));
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/expires \(TTL reached\)[\s\S]*charge #2/);
  });

  it('a TTL that covers the window but not the stated margin fails', async () => {
    const report = await check('1.3', withTtl({ ttlHours: 24, retryWindowHours: 23, margin: [{ cause: 'queued jobs', hours: 2 }] }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/plus your 2 h margin, the model finds a double charge/) });
  });

  it('a margin argued from no cause fails', async () => {
    const report = await check('1.3', withTtl({ margin: [] }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/no cause/) });
  });

  it.each(['retry with the same key', 'retry with a new key'] as const)('a client that retries past the TTL (%s) fails with the model’s charge after expiry', async (move) => {
    const report = await check('1.3', withTtl({ clientAfterTtl: move }));
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/expires \(TTL reached\)[\s\S]*charge #2/);
    givesNothingAway(report, 'reconcile');
  });

  it('other defensible figures pass: 48 h keys for a 24 h window with a day of margin for queued jobs', async () => {
    const report = await check('1.3', withTtl({ ttlHours: 48, retryWindowHours: 24, margin: [{ cause: 'queued jobs', hours: 20 }, { cause: 'clock skew', hours: 0.5 }] }));
    expect(report.status, report.message).toBe('pass');
  });
});

describe('1.4', () => {
  const keyWith = (make: (op: PaymentOperation) => string) => ({ ...reference, makeIdempotencyKey: make });
  const fails = async (make: (op: PaymentOperation) => string, property: RegExp) => {
    const report = await check('1.4', keyWith(make));
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(property);
    return report;
  };

  it('the old reference, a hash of merchant, action and order, fails: a second partial refund would replay the first', async () => {
    await fails((op) => `${op.action}_${sha256(JSON.stringify([op.merchantId, op.action, op.orderId])).slice(0, 32)}`, /two partial refunds of one order get different keys/);
  });

  it('a random UUID per call fails, and the model shows the double charge', async () => {
    const report = await fails(() => randomUUID(), /a retry of the same operation gets the same key/);
    expect(report.trace).toMatch(/charge #2/);
  });

  it('a key that includes the attempt number fails', async () => {
    await fails((op) => `${op.orderId}-${op.attempt}`, /a retry of the same operation gets the same key/);
  });

  it('a hash of the card number fails, even unrecognisable as one', async () => {
    const report = await fails((op) => sha256(`${op.cardNumber}:${op.operationId}`), /does not depend on the card number/);
    expect(report.message).toMatch(/3\.5\.1\.1/);
  });

  it('a keyed hash (HMAC) of the card number fails too: from outside it cannot be told from an unkeyed one, and no key needs it', async () => {
    await fails((op) => createHmac('sha256', 'server-secret').update(`${op.operationId}:${op.cardNumber}`).digest('hex'), /no check can tell a keyed hash/);
  });

  it('a key that contains the customer’s e-mail fails', async () => {
    await fails((op) => `${op.operationId}:${op.customerEmail}`, /does not depend on the card number or the customer’s e-mail/);
  });

  it('a key from the order and the amount fails: two refunds of one amount collide', async () => {
    await fails((op) => `${op.orderId}:${op.action}:${op.amountMinor}`, /two partial refunds of one order/);
  });

  it('a key from the order and the payment method fails: refunds of one order collide', async () => {
    await fails((op) => `${op.orderId}:${op.action}:${op.paymentMethodId}`, /two partial refunds of one order/);
  });

  it('a key longer than 255 characters fails', async () => {
    await fails((op) => `${op.action}:${op.operationId}`.padEnd(300, 'x'), /1 to 255 printable ASCII characters/);
  });

  it.each([
    ['the V4 UUID stored with the operation (Stripe’s suggestion)', (op: PaymentOperation) => op.storedUuid],
    ['a hash of the operation record’s id, scoped by merchant', (op: PaymentOperation) => sha256(`${op.merchantId}/${op.operationId}`)],
    ['the record id alone', (op: PaymentOperation) => op.operationId],
    ['an HMAC of the record id with a server secret', (op: PaymentOperation) => createHmac('sha256', 'server-secret').update(op.operationId).digest('base64url')],
  ])('a right design that differs from the key passes: %s', async (_, make) => {
    const report = await check('1.4', keyWith(make));
    expect(report.status, report.message).toBe('pass');
  });
});

describe('1.4 across a restart (the answers module loaded afresh)', () => {
  it.each([
    ['a random UUID per operation kept in a module-level Map', 'key-in-memory'],
    ['an HMAC under a secret drawn when the process starts', 'key-per-process-secret'],
  ])('%s passes every in-process property but fails the restart, with the model’s double charge', async (_, fixture) => {
    const answers = await chapter.loadAnswers(`tests/fixtures/${fixture}/01-idempotency`);
    const report = await check('1.4', answers);
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/even after a restart” does not hold: .*loaded afresh, as after a restart/);
    expect(report.trace).toMatch(/charge #2/);
    expect(report.figures?.restartChecked).toBe('yes');
  });

  it('the reference and a stored V4 UUID keep their keys across the restart', async () => {
    expect((await check('1.4', reference)).figures?.restartChecked).toBe('yes');
    const other = await chapter.loadAnswers('tests/fixtures/right-but-different/01-idempotency');
    const report = await check('1.4', other);
    expect(report).toMatchObject({ status: 'pass', figures: { restartChecked: 'yes' } });
    expect(report.message).toMatch(/also across a restart/);
  });
});

describe('right answers that differ from the key, as one answers file', () => {
  it.each(chapter.tasks.map((t) => t.id))('task %s passes', async (id) => {
    const answers = await chapter.loadAnswers('tests/fixtures/right-but-different/01-idempotency');
    const report = await check(id, answers);
    expect(report.status, report.message).toBe('pass');
  });
});
