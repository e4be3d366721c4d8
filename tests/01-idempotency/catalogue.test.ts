// Every answer in chapter 1's catalogue gets the verdict it deserves, and no failing message
// states what would have passed.
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/01-idempotency/chapter.ts';
import { idempotencyScenario } from '../../models/idempotency-store/scenario.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterOneAnswers } from '../../specs/01-idempotency/answer-types.ts';
import { right12, right13, right14, wrong11, wrong12, wrong13, wrong14, type Entry } from '../fixtures/01-idempotency-catalogue.ts';

const reference = await chapter.loadAnswers('solutions/01-idempotency');
const check = (id: string, answers: ChapterOneAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);

/** What would have passed: the reference's values of each task, as they could appear in a message. */
const rightValues: Record<string, string[]> = {
  '1.1': [String(reference.retryWithoutKeys({ ...idempotencyScenario }).totalChargedMinor), 'a new charge'],
  '1.2': ['409', 'reconcile before any new attempt', 'retry with a new key', 'replay_saved_response'],
  '1.3': ['reconcile', String(reference.keyTtl().ttlHours)],
  '1.4': ['operationId', 'storedUuid', 'uuid', 'record'],
};

const cases: [string, keyof ChapterOneAnswers, Entry<unknown>[], boolean][] = [
  ['1.1', 'retryWithoutKeys', wrong11, false],
  ['1.2', 'retryWithKey', wrong12, false],
  ['1.2', 'retryWithKey', right12, true],
  ['1.3', 'keyTtl', wrong13, false],
  ['1.3', 'keyTtl', right13, true],
  ['1.4', 'makeIdempotencyKey', wrong14, false],
  ['1.4', 'makeIdempotencyKey', right14, true],
];

describe.each(cases)('task %s (%s): %#', (id, field, entries, right) => {
  it.each(entries.map((e) => [e.name, e] as const))(right ? 'passes: %s' : 'fails: %s', async (_, entry) => {
    const answer = field === 'makeIdempotencyKey' ? entry.answer : () => entry.answer;
    const report = await check(id, { ...reference, [field]: answer });
    if (right) {
      expect(report.status, report.message).toBe('pass');
      return;
    }
    expect(report.status, report.message).toBe('fail');
    expect(report.message).toMatch(entry.says!);
    // Echoing the answer's own values is fine; stating a right value it did not give is not.
    const own = JSON.stringify(entry.answer) ?? '';
    for (const value of rightValues[id]!.filter((v) => !own.includes(v))) expect(report.message, `the message states ${value}`).not.toContain(value);
  });
});
