// The gradebook's pieces: what it takes from a grading, and the files an instructor imports.
import { describe, expect, it } from 'vitest';
import { bounded, feedbackMarkdown, feedbackName, gradebookCsv, gradeTasks, limits, mergeStudent, type Gradebook, type GradedTask } from '../../tools/grading/gradebook.ts';
import type { TaskReport } from '../../tools/grading/run-task.ts';

const tasks: GradedTask[] = [
  { id: '1.1', title: 'first', hint: 'What does the server know?', chapter: 1, slug: '01-x' },
  { id: '1.2', title: 'second, with a comma', hint: '', chapter: 1, slug: '01-x' },
  { id: '2.1', title: 'third', hint: '', chapter: 2, slug: '02-y' },
];
const report = (id: string, status: TaskReport['status'], message = 'why'): TaskReport => ({ chapter: 1, id, title: 'from the answer side', hint: 'forged hint', status, message, ms: 1 });
const emptyBook = (): Gradebook => ({ version: 1, updatedAt: '', tasks: tasks.map((t) => ({ id: t.id, title: t.title, points: t.id === '1.2' ? 3 : 1 })), students: {} });
const points = (id: string) => (id === '1.2' ? 3 : 1);

describe('grades taken from a grading', () => {
  it('take only the book’s tasks and statuses; anything else is an error or missing, worth nothing', () => {
    const grades = gradeTasks(tasks.slice(0, 2), [report('1.1', 'pass'), { ...report('1.2', 'pass'), status: 'PASS!' as never }, report('9.9', 'pass')], points);
    expect(grades['1.1']).toMatchObject({ status: 'pass', points: 1, max: 1 });
    expect(grades['1.2']).toMatchObject({ status: 'error', points: 0, max: 3 });
    expect(grades['9.9']).toBeUndefined();
    expect(gradeTasks(tasks, [], points)['2.1']).toMatchObject({ status: 'missing', points: 0, message: 'not handed in' });
  });

  it('keep a 20 MB message to a bounded size, without terminal escapes', () => {
    const grades = gradeTasks(tasks.slice(0, 1), [{ ...report('1.1', 'error', `\u001b[2J${'x'.repeat(20_000_000)}`), trace: 'y'.repeat(5_000_000) }], points);
    expect(grades['1.1']!.message.length).toBeLessThan(limits.message + 100);
    expect(grades['1.1']!.message).not.toMatch(/\u001b/);
    expect(grades['1.1']!.message).toMatch(/19999600 more characters cut/);
    expect(grades['1.1']!.trace!.length).toBeLessThan(limits.trace + 100);
    expect(bounded('a\u0007b\nc', 10)).toBe('ab\nc');
  });

  it('merge a chapter graded later into what the other chapters had, and total by points', () => {
    const book = emptyBook();
    mergeStudent(book, 'ada', { tasks: gradeTasks(tasks.slice(0, 2), [report('1.1', 'pass'), report('1.2', 'pass')], points), chapters: { '01-x': { fingerprint: 'a', gradedAt: '' } } });
    const entry = mergeStudent(book, 'ada', { tasks: gradeTasks(tasks.slice(2), [report('2.1', 'fail')], points), chapters: { '02-y': { fingerprint: 'b', gradedAt: '' } } });
    expect(entry).toMatchObject({ total: 4, max: 5 });
    expect(Object.keys(entry.chapters)).toEqual(['01-x', '02-y']);
    expect(entry.tasks['2.1']!.status).toBe('fail');
  });
});

describe('the files', () => {
  it('write a CSV with Canvas’s identity columns, a column per task and the total; cells cannot be formulas', () => {
    const book = emptyBook();
    mergeStudent(book, '=HYPERLINK("x")', { tasks: gradeTasks(tasks, [report('1.1', 'pass')], points), chapters: {} });
    mergeStudent(book, 'ada', { tasks: gradeTasks(tasks, [report('1.1', 'pass'), report('1.2', 'pass')], points), chapters: {} });
    const [header, first, second] = gradebookCsv(book).trimEnd().split('\r\n');
    expect(header).toBe('Student,ID,SIS User ID,SIS Login ID,Section,1.1 first,"1.2 second, with a comma",2.1 third,Total');
    expect(first).toBe(`"'=HYPERLINK(""x"")",,"'=HYPERLINK(""x"")","'=HYPERLINK(""x"")",,1,0,0,1`);
    expect(second).toBe('ada,,ada,ada,,1,3,0,4');
  });

  it('give each student feedback with the reason, and on a task not passing the chapter’s hint and the trace', () => {
    const book = emptyBook();
    mergeStudent(book, 'bob', { tasks: gradeTasks(tasks, [{ ...report('1.1', 'fail', 'the prediction is wrong'), trace: '1. step ```' }, report('1.2', 'pass')], points), chapters: {} });
    const text = feedbackMarkdown('bob', book, new Map(tasks.map((t) => [t.id, t.hint])));
    expect(text).toMatch(/\*\*3 \/ 5 points\*\*/);
    expect(text).toMatch(/## 1\.1 first — FAIL \(0\/1\)\n\nthe prediction is wrong\n\nHint: What does the server know\?\n\n```text\n1\. step '''\n```/);
    expect(text).not.toMatch(/forged hint/);
    expect(text).toMatch(/## 2\.1 third — MISSING \(0\/1\)\n\nnot handed in/);
  });

  it('name feedback files so that no folder name becomes a path, and two names never share a file', () => {
    expect(feedbackName('ada')).toBe('ada.md');
    expect(feedbackName('../../etc/passwd')).toMatch(/^[^./][^/]*-[0-9a-f]{8}\.md$/);
    expect(feedbackName('a b')).not.toBe(feedbackName('a_b'));
  });
});
