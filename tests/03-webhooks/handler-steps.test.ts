/**
 * The last part of 3.1: the handler's steps, with the merchant's process dying between any two.
 * Wrong designs a merchant might write fail on the invariant they break; right designs that
 * differ from the key pass.
 */
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { exploreHandlerSteps } from '../../specs/03-webhooks/handler-atomicity.ts';
import type { ChapterThreeAnswers, HandlerStep } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const task = chapter.tasks.find((t) => t.id === '3.1')!;
const check = (steps: HandlerStep[]) => runTask(chapter, task, { ...reference, handlerSteps: () => steps } satisfies ChapterThreeAnswers);

describe('3.1, the handler’s steps against crashes', () => {
  const wrong: [string, HandlerStep[], string][] = [
    ['the event id recorded outside the effect’s transaction (a crash between them loses the credit)', ['verify_signature', 'record_event_id', 'begin', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx'], 'WEBHOOK-8'],
    ['no transaction: credit, then record (a crash between them credits twice)', ['verify_signature', 'apply_effect', 'record_event_id', 'send_receipt', 'respond_2xx'], 'WEBHOOK-6'],
    ['the receipt emailed after COMMIT (a crash between them loses it)', ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'commit', 'send_receipt', 'respond_2xx'], 'WEBHOOK-8'],
    ['the receipt emailed inside the transaction (a rollback does not unsend it)', ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'send_receipt', 'commit', 'respond_2xx'], 'WEBHOOK-7'],
    ['2xx before the work is durable', ['verify_signature', 'respond_2xx', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit'], 'WEBHOOK-8'],
    ['no COMMIT', ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'respond_2xx'], 'WEBHOOK-8'],
    ['an inbox, answered 2xx before the event is stored (a crash between them loses the event)', ['verify_signature', 'respond_2xx', 'store_in_inbox'], 'WEBHOOK-8'],
    ['an inbox, and the credit made in the request too (the worker credits again)', ['verify_signature', 'begin', 'store_in_inbox', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx'], 'WEBHOOK-6'],
    ['an inbox, with the receipt emailed in the request (the worker’s receipt is a second one)', ['verify_signature', 'store_in_inbox', 'send_receipt', 'respond_2xx'], 'WEBHOOK-7'],
  ];
  it.each(wrong)('%s fails', async (_, steps, id) => {
    const report = await check(steps);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringContaining(`breaks ${id}`) });
    expect(report.trace).toMatch(/Stripe delivers the event/);
    // The message names the broken invariant, not a better order of steps.
    expect(report.message).not.toMatch(/enqueue_receipt|outbox/);
  });

  it('a step before the signature check fails: a forged request gets that far', async () => {
    const report = await check(['begin', 'verify_signature', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx']);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/runs "begin" before checking the signature/) });
    expect((await check(['begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx'])).message).toMatch(/never checks the signature/);
  });

  it('an unknown step is the wrong shape', async () => {
    const report = await check(['verify_signature', 'upsert' as HandlerStep]);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/wrong shape: handlerSteps\(\) has "upsert", which is not one of/) });
  });

  it.each([
    ['the credit before the event id, in one transaction', ['verify_signature', 'begin', 'apply_effect', 'enqueue_receipt', 'record_event_id', 'commit', 'respond_2xx']],
    ['an inbox: store the event, answer 2xx, process it later', ['verify_signature', 'store_in_inbox', 'respond_2xx']],
    ['an inbox written in an explicit transaction', ['verify_signature', 'begin', 'store_in_inbox', 'commit', 'respond_2xx']],
    ['the outbox row before the credit', ['verify_signature', 'begin', 'record_event_id', 'enqueue_receipt', 'apply_effect', 'commit', 'respond_2xx']],
  ] as [string, HandlerStep[]][])('right but different: %s passes', async (_, steps) => {
    const report = await check(steps);
    expect(report.status, report.message).toBe('pass');
  });

  it('the reference design holds with every crash, and the model is explored whole', () => {
    const { exploration, violation } = exploreHandlerSteps(reference.handlerSteps());
    expect(violation).toBeUndefined();
    expect(exploration.figures.terminal).toBeGreaterThan(0);
    // Every finished run of the reference has been credited once: a property that could fail.
    for (const i of exploration.terminal) expect(exploration.snapshots[i]!.context.committed.credits).toBe(1);
  });
});
