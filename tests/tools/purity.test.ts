/**
 * 3.1's and 4.3's purity checks give one verdict in-process and graded, and the right one, on
 * plausible wrong and right answers (tests/fixtures/purity/). Out of reach of either, and so not
 * here: an edit made after the call returns (an unawaited promise, a timer), and in the sandbox
 * an answer that hides its edit from the grader's own code (a patched builtin, a `toJSON`, a
 * cycle): the value it returns is still checked.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapterModule, findChapter, repoRoot } from '../../tools/chapters.ts';
import { gradeChapter } from '../../tools/grading/grade-chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { Chapter } from '../../tools/grading/task.ts';
import { withReference } from './fixture-dirs.ts';
import { changeInPlace, handOver, isHandedOver, keepMarks } from '../../tools/grading/handed-over.ts';

const root = join(repoRoot, 'tests/fixtures/purity');
const IMPURE = /changed its input|changed the state(, | or )input/;
type Verdict = 'pass' | 'impure' | 'fail' | 'error';
const verdictOf = (r: { status: string; message: string }): Verdict => (r.status === 'fail' && IMPURE.test(r.message) ? 'impure' : (r.status as Verdict));

// [fixture, the verdict it deserves]
const handler: [string, Verdict][] = [
  ['push-then-new', 'impure'],
  ['order-record-in-place', 'impure'],
  ['sort-in-place', 'impure'],
  ['signs-the-event', 'impure'],
  ['deletes-order', 'impure'],
  ['reinsert-order', 'impure'],
  // Edits only a state it returned itself: it is never given one (a copy, in-process as in the
  // sandbox), so it copies every state it is given, and its edits reach no caller.
  ['transient-ownership', 'pass'],
  // JSON, and so the sandbox, cannot see a field holding undefined: neither can the check.
  ['undefined-field-state', 'pass'],
  ['undefined-field-event', 'pass'],
  ['async-handler', 'fail'],
  ['clone-then-edit', 'pass'],
  ['json-clone-then-edit', 'pass'],
  ['cow-proxy', 'pass'],
  ['freezes-input', 'pass'],
  ['edit-and-restore', 'pass'],
  ['sort-a-copy', 'pass'],
];
const breaker: [string, Verdict][] = [
  ['in-place-returns-it', 'impure'],
  ['in-place-returns-copy', 'impure'],
  ['adds-field', 'impure'],
  ['marks-input', 'impure'],
  ['deletes-field', 'impure'],
  ['edits-policy', 'impure'],
  ['clone-then-edit', 'pass'],
  ['freezes-input', 'pass'],
];

async function both(prefix: string, fixture: string, number: string, slug: string, id: string) {
  const chapter = findChapter(number);
  const dir = withReference(`${prefix}-${fixture}`, root, slug);
  const graded = (await gradeChapter(chapter, dir)).find((r) => r.id === id)!;
  const loaded = (await import(chapterModule(chapter))) as { chapter: Chapter<unknown> };
  const inProcess = await runTask(loaded.chapter, loaded.chapter.tasks.find((t) => t.id === id)!, await loaded.chapter.loadAnswers(dir));
  return { graded: verdictOf(graded), inProcess: verdictOf(inProcess) };
}

describe.each([
  ['handler', '3', '03-webhooks', '3.1', handler],
  ['breaker', '4', '04-high-availability', '4.3', breaker],
] as const)('%s purity', (prefix, number, slug, id, cases) => {
  it.each(cases)('%s: %s, in-process and graded', async (fixture, expected) => {
    expect(await both(prefix, fixture, number, slug, id)).toEqual({ graded: expected, inProcess: expected });
  });
});

describe('an answer that edits what it was given, graded', () => {
  // 3.1's handler and 4.3's breakerStep must leave their arguments as they were. In its sandbox
  // an answer edits a copy of the check's copy; the grader makes the same edit to the check's.
  it.each([
    ['3', '03-webhooks', '3.1', /your handleWebhook changed its input \(state\.processedEventIds, state\.orders, state\.receiptsSent\)/],
    ['4', '04-high-availability', '4.3', /your breakerStep changed the state, input or policy it was given/],
  ])('fails graded as it fails in-process (chapter %s)', async (number, slug, id, message) => {
    const chapter = findChapter(number);
    const dir = withReference('edits-its-input', undefined, slug);
    const graded = (await gradeChapter(chapter, dir)).find((r) => r.id === id)!;
    const loaded = (await import(chapterModule(chapter))) as { chapter: Chapter<unknown> };
    const inProcess = await runTask(loaded.chapter, loaded.chapter.tasks.find((t) => t.id === id)!, await loaded.chapter.loadAnswers(dir));
    expect([graded.status, inProcess.status]).toEqual(['fail', 'fail']);
    expect(graded.message).toMatch(message);
    expect(graded.message).toBe(inProcess.message);
  });

});

describe('the handed-over channel', () => {
  it('writes a forged change as data into the copy alone, keys in the answer\'s order', () => {
    const orders = { a: { n: 1 }, b: { n: 2 } };
    const state = handOver({ orders, ids: ['x'] });
    const a = orders.a;
    changeInPlace(state, JSON.parse('{"orders":{"b":{"n":2},"a":{"n":1},"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}},"ids":{"length":1e9}}'));
    expect(JSON.stringify(state.orders)).toBe('{"b":{"n":2},"a":{"n":1},"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}');
    expect(state.orders).toBe(orders);
    expect(state.orders.a).toBe(a);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(state.orders)).toBe(Object.prototype);
    expect(Array.isArray(state.ids)).toBe(false);
  });

  it('is written to only for what a check hands over, never its shared figures', () => {
    keepMarks();
    const shared = { policy: { probes: 3 } };
    expect(isHandedOver(handOver({ mode: 'closed' }))).toBe(true);
    expect(isHandedOver(shared.policy)).toBe(false);
  });
});
