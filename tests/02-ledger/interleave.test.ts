/**
 * The step-by-step driver of two sessions: a wait is seen as a wait (not as time passing), a
 * deadlock is reported as one, and the same schedule gives the same trace every time.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sqlServer, type ScratchDatabase, type Database } from '../../tools/sql/database.ts';
import { interleave, type Step } from '../../tools/sql/interleave.ts';

let scratch: ScratchDatabase;
let sessions: Map<string, Database>;

beforeAll(async () => {
  scratch = await (await sqlServer()).scratch('interleave');
  await scratch.db.exec(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0), (2, 0);`);
  sessions = new Map([['A', await scratch.session()], ['B', await scratch.session()]]);
}, 60_000);

// The server stays up for the next file in this worker (one database start-up per worker, not
// per file); the worker's exit stops it (tools/sql/embedded-server.ts).
afterAll(() => scratch.drop());

const step = (session: string, sql: string): Step => ({ session, label: sql, sql });

test('a session that waits for a lock lets the other go on, and finishes after it commits; five runs, one trace', async () => {
  const schedule = [step('A', 'BEGIN'), step('A', 'UPDATE counter SET n = n + 1 WHERE id = 1'), step('B', 'BEGIN'), step('B', 'UPDATE counter SET n = n + 1 WHERE id = 1'), step('B', 'COMMIT'), step('A', 'COMMIT')];
  const traces = new Set<string>();
  for (let run = 0; run < 5; run++) {
    const result = await interleave(sessions, scratch.db, schedule);
    expect(result.deadlock).toBe(false);
    expect([...result.outcomes.values()].map((o) => o.kind)).toEqual(['committed', 'committed']);
    traces.add(result.trace.join('\n'));
  }
  expect(traces.size).toBe(1);
  const [trace] = traces;
  // B's COMMIT is held back behind its waiting UPDATE; A's COMMIT releases both.
  expect(trace).toMatch(/B: UPDATE counter SET n = n \+ 1 WHERE id = 1\nB: … waits for a lock held by A\nA: COMMIT → committed\nB: UPDATE .* → done, after the wait\nB: COMMIT → committed/);
  const [{ n }] = await scratch.db.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
  expect(n).toBe(10);
});

test('two sessions that wait for each other are a deadlock, reported at once: one is cancelled and the other goes on, the same every run', async () => {
  const schedule = [
    step('A', 'BEGIN'),
    step('A', 'UPDATE counter SET n = n + 1 WHERE id = 1'),
    step('B', 'BEGIN'),
    step('B', 'UPDATE counter SET n = n + 1 WHERE id = 2'),
    step('A', 'UPDATE counter SET n = n + 1 WHERE id = 2'),
    step('B', 'UPDATE counter SET n = n + 1 WHERE id = 1'),
    step('A', 'COMMIT'),
    step('B', 'COMMIT'),
  ];
  const traces = new Set<string>();
  for (let run = 0; run < 5; run++) {
    const result = await interleave(sessions, scratch.db, schedule);
    expect(result.deadlock).toBe(true);
    expect(result.trace.join('\n')).toMatch(/deadlock: A waits for B, B waits for A/);
    expect(Object.fromEntries([...result.outcomes].map(([name, o]) => [name, o.kind]))).toEqual({ A: 'deadlocked', B: 'committed' });
    traces.add(result.trace.join('\n'));
    // Nothing is left open: both sessions can run again.
    for (const db of sessions.values()) expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  }
  // What a key prints from a run must be reproducible.
  expect(traces.size).toBe(1);
});

test('three sessions queued on one row: when the first commits and the second takes the lock, the third waiting for it is no deadlock; ten runs', { timeout: 30_000 }, async () => {
  const three = new Map([...sessions, ['C', await scratch.session()]]);
  const update = (s: string) => step(s, 'UPDATE counter SET n = n + 1 WHERE id = 2');
  const schedule = [step('A', 'BEGIN'), update('A'), step('B', 'BEGIN'), update('B'), step('C', 'BEGIN'), update('C'), step('A', 'COMMIT'), step('B', 'COMMIT'), step('C', 'COMMIT')];
  for (let run = 0; run < 10; run++) {
    const result = await interleave(three, scratch.db, schedule);
    expect(result.deadlock, result.trace.join('\n')).toBe(false);
    expect([...result.outcomes.values()].map((o) => o.kind)).toEqual(['committed', 'committed', 'committed']);
  }
  await three.get('C')!.close();
});
