/**
 * A failing message says what is wrong, never what is right: each plausible wrong answer below
 * fails, and its message names none of the values the reference (or any right answer) gives the
 * field it got wrong. Hints are questions and quote no answer either.
 */
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { naiveHandler } from '../../models/webhook-delivery/merchant.ts';
import type { ChapterThreeAnswers, DispatchPolicy, HandlerStep, RetrySchedule, StatusHandling, TerminalPolicy } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const check = (id: string, patch: Partial<ChapterThreeAnswers>) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, { ...reference, ...patch });

const schedule = (patch: Partial<RetrySchedule>) => ({ retrySchedule: () => ({ ...reference.retrySchedule(), ...patch }) });
const statuses = (patch: Partial<StatusHandling>) => schedule({ statusHandling: { ...reference.retrySchedule().statusHandling, ...patch } });
const dispatch = (patch: Partial<DispatchPolicy>) => ({ dispatchPolicy: () => ({ ...reference.dispatchPolicy(), ...patch }) as DispatchPolicy });
const terminal = (patch: Partial<TerminalPolicy>) => ({ terminalPolicy: () => ({ ...reference.terminalPolicy(), ...patch }) });
const steps = (list: HandlerStep[]) => ({ handlerSteps: () => list });

const referenceSteps = reference.handlerSteps();

/** [what the student wrote, task, answer, what must not appear in the message]. */
const wrongAnswers: [string, string, Partial<ChapterThreeAnswers>, (string | RegExp)[]][] = [
  ['the 2xx sent before COMMIT', '3.1', steps(['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'respond_2xx', 'commit']), [referenceSteps.join(' → '), JSON.stringify(referenceSteps)]],
  ['the receipt emailed inside the transaction', '3.1', steps(['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'send_receipt', 'commit', 'respond_2xx']), ['enqueue_receipt', 'outbox']],
  ['the event id recorded after COMMIT', '3.1', steps(['verify_signature', 'begin', 'apply_effect', 'enqueue_receipt', 'commit', 'record_event_id', 'respond_2xx']), [referenceSteps.join(' → ')]],
  ['no deduplication at all', '3.1', { handleWebhook: naiveHandler }, [/ends with \{.*\{"orders"/]],
  ['a 3xx counted as delivered', '3.2', statuses({ redirect: 'success' }), [/\bfailure\b/, '"failure"']],
  ['a 3xx followed', '3.2', statuses({ redirect: 'follow' }), [/\bfailure\b/]],
  ['a 410 retried', '3.2', statuses({ gone: 'retry' }), ['disable_endpoint', 'disable the endpoint']],
  ['a 410 stopping one event only', '3.2', statuses({ gone: 'stop_this_event' }), ['disable_endpoint', 'disable the endpoint']],
  ['a 429 retried on the schedule', '3.2', statuses({ tooManyRequests: 'retry_on_schedule' }), ['wait_retry_after', 'wait at least']],
  ['a 429 giving the event up', '3.2', statuses({ tooManyRequests: 'give_up' }), ['wait_retry_after']],
  ['retries past the promise', '3.2', schedule({ promiseHours: 50 }), [/promise (at least|of) \d/, /\b5[5-9](\.\d+)? h or more\b/]],
  ['one shared FIFO queue', '3.3', dispatch({ queueing: 'shared_fifo' }), ['per_endpoint', 'slowLane', 'retryLane']],
  ['a backlog that alerts nobody', '3.3', dispatch({ backlog: { maxQueuedPerEndpoint: 500, alertMerchant: false } }), ['alertMerchant: true', '"alertMerchant": true']],
  ['the event discarded', '3.4', terminal({ event: 'discard' }), ['dead_letter']],
  ['the merchant not told', '3.4', terminal({ notifyMerchant: false }), ['notifyMerchant: true', '"notifyMerchant": true', 'should be true']],
  ['no replay', '3.4', terminal({ allowReplay: false }), ['allowReplay: true', 'should be true']],
  ['the endpoint disabled when one event runs out', '3.4', terminal({ endpoint: 'disable_when_an_event_runs_out' }), ['disable_after_sustained_failure', 'keep_enabled']],
  ['disabled with no warning', '3.4', terminal({ warnBeforeDisabling: false }), ['warnBeforeDisabling: true', 'should be true']],
  ['disabled with no backstop', '3.4', terminal({ backstop: 'none' }), ['list_undelivered_events', 'delivery_success']],
];

describe('chapter 3: a failing message says what is wrong, never what is right', () => {
  it.each(wrongAnswers)('%s (%s) fails without naming the right value', async (_, id, patch, forbidden) => {
    const report = await check(id, patch);
    expect(report.status, report.message).toBe('fail');
    for (const text of forbidden) {
      if (typeof text === 'string') expect(report.message).not.toContain(text);
      else expect(report.message).not.toMatch(text);
    }
    // Wording that hands over a value.
    expect(report.message).not.toMatch(/\bshould (be|use|read)\b|\binstead,? use\b|\bset it to\b/i);
  }, 60_000);

  it.each(chapter.tasks.map((t) => [t.id, t.hint ?? ''] as const))('the hint of %s asks questions and quotes no reference value', (_, hint) => {
    expect(hint.trim().endsWith('?')).toBe(true);
    for (const value of ['per_endpoint', 'dead_letter', 'disable_after_sustained_failure', 'list_undelivered_events', 'wait_retry_after', 'record_event_id', 'enqueue_receipt', 'timingSafeEqual']) {
      expect(hint).not.toContain(value);
    }
    expect(hint).not.toMatch(/\b(0\.25|0\.1|500|60 \* 3|×3)\b/);
  });
});
