/**
 * 3.4: the event's fate and the endpoint's health judged apart. Keeping the endpoint enabled is
 * a defensible alternative and passes; disabling it when one event runs out of retries lets a
 * poison event cut off a healthy endpoint and fails; so do discarding, staying silent, refusing
 * replays, disabling without warning and disabling with no way to find the events never sent.
 */
import { describe, expect, it } from 'vitest';
import { chapter, scheduleOf } from '../../specs/03-webhooks/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { healthScenarios, simulateEndpointHealth } from '../../specs/03-webhooks/endpoint-health.ts';
import type { ChapterThreeAnswers, TerminalPolicy } from '../../specs/03-webhooks/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/03-webhooks');
const task = chapter.tasks.find((t) => t.id === '3.4')!;
const check = (patch: Partial<TerminalPolicy>, answers: Partial<ChapterThreeAnswers> = {}) =>
  runTask(chapter, task, { ...reference, ...answers, terminalPolicy: () => ({ ...reference.terminalPolicy(), ...patch }) } satisfies ChapterThreeAnswers);

describe('3.4: policies a practitioner would defend pass', () => {
  it.each([
    ['keeping the endpoint enabled, dead letters and replays as the way back', { endpoint: 'keep_enabled', warnBeforeDisabling: false, backstop: 'none' }],
    ['keeping the endpoint enabled, with a list of undelivered events too', { endpoint: 'keep_enabled' }],
  ] as [string, Partial<TerminalPolicy>][])('%s', async (_, patch) => {
    const report = await check(patch);
    expect(report.status, report.message).toBe('pass');
  });

  it('the reference passes on the Standard Webhooks schedule too: the check runs on the 3.2 answer', async () => {
    const standard = { ...reference.retrySchedule(), baseDelaysSeconds: [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400], promiseHours: 84 };
    const answers = { retrySchedule: () => standard };
    expect(scheduleOf({ ...reference, ...answers })).toMatchObject({ source: '3.2', delays: standard.baseDelaysSeconds });
    const report = await check({}, answers);
    expect(report.status, report.message).toBe('pass');
    expect(report.message).toMatch(/^on the 3\.2 schedule/);
  });

  it('with 3.2 unanswered, 3.4 runs on the scenario’s schedule and says so', async () => {
    const report = await check({}, { retrySchedule: () => { throw new Error('TODO: not answered yet'); } });
    expect(report).toMatchObject({ status: 'pass', message: expect.stringMatching(/scenario’s schedule \(3\.2 has no usable answer yet\)/) });
  });
});

describe('3.4: wrong policies fail, naming what goes wrong and not the fix', () => {
  it.each([
    ['discarding the event', { event: 'discard' }, /^`event` is "discard": .*\(WEBHOOK-1\)$/],
    ['not notifying the merchant', { notifyMerchant: false }, /^`notifyMerchant` is false: nobody tells the merchant .*\(WEBHOOK-1\)$/],
    ['refusing replays', { allowReplay: false }, /^`allowReplay` is false: .*\(WEBHOOK-5\)$/],
    ['disabling the endpoint when one event runs out', { endpoint: 'disable_when_an_event_runs_out' }, /^poison event: one event that fails on every attempt disabled an endpoint that was answering 2xx to the others, and \d+ of the merchant's later events were not sent at all$/],
    ['disabling without a warning first', { warnBeforeDisabling: false }, /^long outage: the endpoint was disabled at 72 h with no warning before it/],
    ['disabling with no list of undelivered events', { backstop: 'none' }, /^long outage: \d+ of \d+ events were never delivered and the merchant has no way left to find them \(events created while the endpoint was disabled are never sent\)$/],
  ] as [string, Partial<TerminalPolicy>, RegExp][])('%s', async (_, patch, message) => {
    const report = await check(patch);
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
    // No "keep it", "notify them", "disable it": the message says what goes wrong.
    expect(report.message).not.toMatch(/; (keep|notify|allow|disable|warn)\b|dead_letter"\)|should be/);
  });

  it('the model trace of a discarded event is short', async () => {
    const report = await check({ event: 'discard' });
    const steps = report.trace!.split('\n').filter((line) => /^\s*\d+\./.test(line));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThan(10);
  });
});

describe('the endpoint-health simulation', () => {
  const delays = reference.retrySchedule().baseDelaysSeconds;
  it('a poison event never stops a policy that judges the endpoint across events', () => {
    const [poison] = healthScenarios;
    const run = simulateEndpointHealth(poison!, reference.terminalPolicy(), delays);
    expect(run).toMatchObject({ disabledAt: null, lost: 0, heldBackFromHealthyEndpoint: 0 });
    expect(run.deliveredAutomatically).toBe(run.events - 1);
  });

  it('a five-day outage warns after a day, disables after three, and every event is found again', () => {
    const outage = healthScenarios[1]!;
    const run = simulateEndpointHealth(outage, reference.terminalPolicy(), delays);
    expect(run.warnedAt).toBeLessThan(run.disabledAt!);
    expect(run.lost).toBe(0);
    expect(run.deliveredAutomatically + run.recovered).toBe(run.events);
  });

  it('keeping the endpoint enabled through the outage costs more attempts than disabling it', () => {
    const outage = healthScenarios[1]!;
    const disabling = simulateEndpointHealth(outage, reference.terminalPolicy(), delays);
    const keeping = simulateEndpointHealth(outage, { ...reference.terminalPolicy(), endpoint: 'keep_enabled' }, delays);
    expect(keeping.attempts).toBeGreaterThan(disabling.attempts);
  });
});
