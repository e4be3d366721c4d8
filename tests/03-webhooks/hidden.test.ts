// The instructor's hidden checks of chapter 3: the reference and the right-but-different answers
// pass them, and they press harder than the visible ones.
import { describe, expect, it } from 'vitest';
import { chapter as hidden, hiddenHandlerBounds, hiddenHealthScenarios } from '../../specs/03-webhooks/hidden.ts';
import { chapter as visible } from '../../specs/03-webhooks/chapter.ts';
import { visibleHandlerBounds } from '../../specs/03-webhooks/task-handler.ts';
import { healthScenarios } from '../../specs/03-webhooks/endpoint-health.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterThreeAnswers } from '../../specs/03-webhooks/answer-types.ts';

const reference = await hidden.loadAnswers('solutions/03-webhooks');
const different = await hidden.loadAnswers('tests/fixtures/right-but-different/03-webhooks');
const run = (chapter: typeof hidden, id: string, answers: ChapterThreeAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);
const ids = ['3.1h', '3.2h', '3.3h', '3.4h'];

describe('chapter 3’s hidden checks', () => {
  it('are extra tasks of the visible chapter, with ids of their own, loading answers as it does', () => {
    expect(hidden.tasks.map((t) => t.id)).toEqual(ids);
    expect(hidden.loadAnswers).toBe(visible.loadAnswers);
  });

  it('press harder than the visible ones: more and longer streams, another seed, more endpoint scenarios', () => {
    expect(hiddenHandlerBounds.seed).not.toBe(visibleHandlerBounds.seed);
    expect(hiddenHandlerBounds.runs).toBeGreaterThan(visibleHandlerBounds.runs);
    expect(hiddenHandlerBounds.maxOrders).toBeGreaterThan(visibleHandlerBounds.maxOrders);
    expect(hiddenHealthScenarios.length).toBeGreaterThan(healthScenarios.length);
  });

  it.each(ids)('the reference answers pass %s', async (id) => {
    const report = await run(hidden, id, reference);
    expect(report.status, report.message).toBe('pass');
  }, 120_000);

  it.each(ids)('right answers that differ from the key pass %s', async (id) => {
    const report = await run(hidden, id, different);
    expect(report.status, report.message).toBe('pass');
  }, 120_000);

  it('a handler that remembers only its last 24 event ids passes the visible 3.1 but not the hidden one: longer streams outlive its memory', async () => {
    const forgetful: ChapterThreeAnswers['handleWebhook'] = (state, event) => {
      const next = reference.handleWebhook(state, event);
      return { ...next, processedEventIds: next.processedEventIds.slice(-24) };
    };
    const answers = { ...reference, handleWebhook: forgetful };
    const seen = await run(visible, '3.1', answers);
    expect(seen.status, seen.message).toBe('pass');
    const caught = await run(hidden, '3.1h', answers);
    expect(caught.status).toBe('fail');
    expect(caught.message).toMatch(/property “.*” fails/);
  }, 120_000);

  it.each(visible.tasks.map((t) => t.id))('the right-but-different answers pass the visible %s too', async (id) => {
    const report = await run(visible, id, different);
    expect(report.status, report.message).toBe('pass');
  }, 120_000);

});
