// The instructor's hidden checks of chapter 1: the reference and the right-but-different
// answers pass them; a key too short to stay unique is caught only by them.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chapter as hidden } from '../../specs/01-idempotency/hidden.ts';
import { chapter as visible } from '../../specs/01-idempotency/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterOneAnswers, PaymentOperation } from '../../specs/01-idempotency/answer-types.ts';

const reference = await hidden.loadAnswers('solutions/01-idempotency');
const run = (chapter: typeof hidden, id: string, answers: ChapterOneAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);

describe('chapter 1’s hidden checks', () => {
  it('are extra tasks of the visible chapter, with ids of their own', () => {
    expect(hidden.tasks.map((t) => t.id)).toEqual(['1.2h', '1.3h', '1.4h']);
    expect(hidden.loadAnswers).toBe(visible.loadAnswers);
  });

  it.each(['1.2h', '1.3h', '1.4h'])('the reference answers pass %s', async (id) => {
    await hidden.prepare?.();
    const report = await run(hidden, id, reference);
    expect(report.status, report.message).toBe('pass');
  }, 60_000);

  it.each(['1.2h', '1.3h', '1.4h'])('right answers that differ from the key pass %s', async (id) => {
    const answers = await hidden.loadAnswers('tests/fixtures/right-but-different/01-idempotency');
    const report = await run(hidden, id, answers);
    expect(report.status, report.message).toBe('pass');
  }, 60_000);

  it('a key cut to six hex digits of a hash passes the visible 1.4 but not the hidden one: operations of one order collide', async () => {
    const short = { ...reference, makeIdempotencyKey: (op: PaymentOperation) => `${op.action}-${createHash('sha256').update(op.operationId).digest('hex').slice(0, 6)}` };
    const seen = await run(visible, '1.4', short);
    expect(seen.status, seen.message).toBe('pass');
    const caught = await run(hidden, '1.4h', short);
    expect(caught.status).toBe('fail');
    expect(caught.message).toMatch(/every operation of one order gets its own key” does not hold: among 20000 operations/);
  }, 60_000);
});
