/**
 * Two (or more) sessions driven step by step in a chosen order, as a race would interleave
 * them, deterministically: no sleeps, no timing. After each statement the driver asks the
 * server whether the session is waiting for a lock (`pg_blocking_pids`, PostgreSQL manual
 * §9.26 "System Information Functions"); a waiting session's later steps wait with it while
 * the other sessions go on. Sessions that wait for each other are a deadlock, reported at
 * once, and one of them (the first by name) is cancelled, as the server's own detector would
 * abort one after `deadlock_timeout`; the others go on.
 */
import { type Database } from './database.ts';
import { databaseError, SqlScriptError } from './script.ts';

export interface Step {
  session: string;
  /** What the step does, in the trace. */
  label: string;
  sql: string;
}

export type SessionOutcome =
  | { kind: 'committed' }
  | { kind: 'failed'; error: SqlScriptError; at: string }
  | { kind: 'deadlocked' };

export interface InterleavingResult {
  /** One line per step and per event (waits, errors), in the order they happened. */
  trace: string[];
  outcomes: Map<string, SessionOutcome>;
  deadlock: boolean;
}

interface Pending {
  step: Step;
  settled: boolean;
  result?: { error?: SqlScriptError };
  promise: Promise<void>;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Run `steps` in order, each on its session. A session whose statement fails runs ROLLBACK
 * and skips its remaining steps; a session ends committed when its last step succeeded.
 */
export async function interleave(sessions: ReadonlyMap<string, Database>, admin: Database, steps: readonly Step[]): Promise<InterleavingResult> {
  const trace: string[] = [];
  const outcomes = new Map<string, SessionOutcome>();
  const pending = new Map<string, Pending>();
  const queue = [...steps];
  const pids = new Map([...sessions].map(([name, db]) => [db.backendPid, name]));
  const waitingNoted = new Set<string>();
  let deadlock = false;

  const issue = (step: Step) => {
    const db = sessions.get(step.session)!;
    const entry: Pending = { step, settled: false, promise: Promise.resolve() };
    entry.promise = db.exec(step.sql).then(
      () => {
        entry.result = {};
        entry.settled = true;
      },
      (error: unknown) => {
        const refused = databaseError(error, step.session);
        entry.result = { error: refused instanceof SqlScriptError ? refused : new SqlScriptError(step.session, String(error), undefined, undefined) };
        entry.settled = true;
      },
    );
    pending.set(step.session, entry);
  };

  /** Who each busy session waits for, among our sessions (empty: running, not waiting). */
  const blockers = async (): Promise<Map<string, string[]>> => {
    const busy = [...pending.values()].filter((p) => !p.settled).map((p) => sessions.get(p.step.session)!.backendPid);
    if (busy.length === 0) return new Map();
    const rows = await admin.query<{ pid: number; blocked_by: number[] }>(`SELECT pid, pg_blocking_pids(pid) AS blocked_by FROM unnest($1::int[]) AS pid`, [busy]);
    return new Map(rows.map((r) => [pids.get(r.pid)!, r.blocked_by.map((pid) => pids.get(pid) ?? `another session (pid ${pid})`)]));
  };

  /** Record what settled; a failure ends that session's transaction. */
  const collect = async () => {
    // A session that was waiting finished because another one went on: that one's line first.
    const settled = [...pending].filter(([, entry]) => entry.settled).sort(([a], [b]) => Number(waitingNoted.has(a)) - Number(waitingNoted.has(b)));
    for (const [name, entry] of settled) {
      pending.delete(name);
      const waited = waitingNoted.delete(name);
      const error = entry.result?.error;
      if (error) {
        trace.push(`${name}: ${entry.step.label} → ${error.code === '57014' && deadlock ? 'cancelled' : `error: ${error.databaseMessage}${error.code ? ` (SQLSTATE ${error.code})` : ''}`}`);
        if (!outcomes.has(name)) outcomes.set(name, error.code === '40P01' ? { kind: 'deadlocked' } : { kind: 'failed', error, at: entry.step.label });
        if (error.code === '40P01') deadlock = true;
        await sessions.get(name)!.exec('ROLLBACK').catch(() => undefined);
        for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.session === name) queue.splice(i, 1);
      } else {
        const last = !queue.some((s) => s.session === name);
        if (last) {
          trace.push(`${name}: ${entry.step.label} → ${/^COMMIT/i.test(entry.step.sql.trim()) ? 'committed' : 'done'}`);
          if (!outcomes.has(name)) outcomes.set(name, { kind: 'committed' });
        } else trace.push(`${name}: ${entry.step.label}${waited ? ' → done, after the wait' : ''}`);
      }
    }
  };

  while (queue.length > 0 || pending.size > 0) {
    await collect();
    const next = queue.findIndex((s) => !pending.has(s.session));
    if (next >= 0) {
      const [step] = queue.splice(next, 1);
      issue(step!);
      // Let it run until it finishes or is seen waiting for a lock.
      while (!pending.get(step!.session)?.settled) {
        await tick();
        const waits = (await blockers()).get(step!.session);
        if (waits && waits.length > 0) {
          trace.push(`${step!.session}: ${step!.label}`, `${step!.session}: … waits for a lock held by ${waits.join(', ')}`);
          waitingNoted.add(step!.session);
          break;
        }
      }
      continue;
    }
    if (pending.size === 0) continue;
    // Every remaining step belongs to a busy session: wait for one to finish, or find a cycle.
    await tick();
    const waits = await blockers();
    const waiting = [...waits].filter(([, by]) => by.length > 0);
    const busy = [...pending.values()].filter((p) => !p.settled);
    // A cycle only among sessions still running: one whose statement has just finished (settled,
    // not yet collected) holds its locks but will go on, so waiting for it is no deadlock.
    const running = new Set(busy.map((p) => p.step.session));
    if (busy.length > 0 && waiting.length === busy.length && waiting.every(([, by]) => by.every((b) => running.has(b)))) {
      deadlock = true;
      trace.push(`deadlock: ${waiting.map(([name, by]) => `${name} waits for ${by.join(', ')}`).join(', ')}`);
      // One victim, as the server's own detector chooses one: the first by name, so that the
      // run is the same every time. Its abort releases its locks and the others go on. (Cancelling
      // every session instead races with the others taking the freed locks.)
      const victim = busy.map((p) => p.step.session).sort()[0]!;
      outcomes.set(victim, { kind: 'deadlocked' });
      await admin.query(`SELECT pg_cancel_backend($1::int)`, [sessions.get(victim)!.backendPid]);
      await pending.get(victim)!.promise;
    }
  }
  return { trace, outcomes, deadlock };
}
