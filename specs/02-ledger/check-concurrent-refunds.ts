/**
 * Task 2.3 under concurrency: two refunds of one payment, on two sessions, both written before
 * either commits (the interleaving a busy support desk produces), at READ COMMITTED (the
 * default) and at REPEATABLE READ.
 *
 * A right guard lets every legitimate refund commit, never lets the refunds total more than
 * the payment, and never deadlocks. At REPEATABLE READ a transaction may instead fail with a
 * serialization failure (SQLSTATE 40001), which the PostgreSQL manual (§13.2.2) tells every
 * application at that level to retry: the checker, as the application, retries it.
 */
import { fail, type CheckResult } from '../../tools/grading/task.ts';
import { type Database, type ScratchDatabase } from '../../tools/sql/database.ts';
import { interleave, type SessionOutcome, type Step } from '../../tools/sql/interleave.ts';
import { checkerReads, checkerWrites, ledgerTransaction, literal, type Leg } from './sql-checks.ts';

export const isolationLevels = ['READ COMMITTED', 'REPEATABLE READ'] as const;

/** Two refunds of one $100.00 payment: both legitimate, or together more than it. */
export const raceScenarios = [
  { refunds: [3_000, 3_000], legitimate: 2, what: 'two $30.00 refunds of a $100.00 payment' },
  { refunds: [6_000, 6_000], legitimate: 1, what: 'two $60.00 refunds of a $100.00 payment' },
] as const;

export const racePayment = 10_000;
/** Retries of a serialization failure before the checker gives up. */
const retries = 2;

/** The refund's statements without BEGIN and COMMIT: the header and its two legs. */
function refundWrite(reference: string, original: string, amount: number, usd: string): string {
  const legs: Leg[] = [['bob', -amount, usd], ['alice', amount, usd]];
  return ledgerTransaction(reference, legs, original).replace(/^BEGIN;\n/, '').replace(/\nCOMMIT;$/, '');
}

function refundSteps(session: string, level: string, reference: string, original: string, amount: number, usd: string): Step[] {
  return [
    { session, label: `BEGIN ISOLATION LEVEL ${level}`, sql: `BEGIN ISOLATION LEVEL ${level}` },
    { session, label: `refund ${dollars(amount)} of ${original} (bob −${amount} ${usd}, alice +${amount} ${usd})`, sql: refundWrite(reference, original, amount, usd) },
    // Deferred checks run at the start of COMMIT, and another session can run between them and
    // the commit itself: running them here, on both sessions before either commits, is that
    // moment made deterministic (PostgreSQL manual, SET CONSTRAINTS).
    { session, label: 'SET CONSTRAINTS ALL IMMEDIATE (its deferred checks run now, as at the start of its COMMIT)', sql: 'SET CONSTRAINTS ALL IMMEDIATE' },
    { session, label: 'COMMIT', sql: 'COMMIT' },
  ];
}

/** Run the two refunds interleaved; a serialization failure is retried, as the manual asks. */
async function race(sessions: Map<string, Database>, observer: Database, level: string, original: string, amounts: readonly number[], usd: string) {
  const names = ['A', 'B'];
  const stepsOf = (name: string, attempt: number) => refundSteps(name, level, `${original}_refund_${name}${attempt ? `_retry${attempt}` : ''}`, original, amounts[names.indexOf(name)]!, usd);
  const [a, b] = names.map((name) => stepsOf(name, 0));
  // Both written and checked before either commits.
  const order = [a![0]!, a![1]!, b![0]!, b![1]!, a![2]!, b![2]!, a![3]!, b![3]!];
  const run = await interleave(sessions, observer, order);
  const trace = [...run.trace];
  const outcomes = new Map(run.outcomes);
  for (const name of names) {
    for (let attempt = 1; attempt <= retries; attempt++) {
      const outcome = outcomes.get(name);
      if (outcome?.kind !== 'failed' || outcome.error.code !== '40001') break;
      trace.push(`${name}: serialization failure: the application retries the whole refund`);
      const retry = await interleave(sessions, observer, stepsOf(name, attempt));
      trace.push(...retry.trace);
      outcomes.set(name, retry.outcomes.get(name)!);
    }
  }
  return { trace, outcomes, deadlock: run.deadlock };
}

const describeOutcome = (o: SessionOutcome | undefined) =>
  !o ? 'did not finish' : o.kind === 'committed' ? 'committed' : o.kind === 'deadlocked' ? 'deadlocked' : `failed: ${o.error.databaseMessage}`;

export type RaceScenario = (typeof raceScenarios)[number];

export interface RaceRun {
  trace: string[];
  outcomes: Map<string, SessionOutcome>;
  deadlock: boolean;
  /** Minor units the refunds of the payment reverse, after both sessions ended. */
  refunded: bigint;
}

/** Two sessions on `scratch`, opened once and reused by every race. */
export async function raceSessions(scratch: ScratchDatabase): Promise<Map<string, Database>> {
  return new Map([['A', await scratch.session()], ['B', await scratch.session()]]);
}

/** One race: a fresh payment of `original`, then its two refunds interleaved. */
export async function runRace(scratch: ScratchDatabase, sessions: Map<string, Database>, level: string, scenario: RaceScenario, original: string, usd: string): Promise<RaceRun> {
  const paymentLegs: Leg[] = [['alice', -racePayment, usd], ['bob', racePayment, usd]];
  await checkerWrites(scratch.db, `a ${dollars(racePayment)} payment to refund concurrently`, ledgerTransaction(original, paymentLegs));
  const { trace, outcomes, deadlock } = await race(sessions, scratch.db, level, original, scenario.refunds, usd);
  const [refunded] = await checkerReads<{ total: bigint }>(
    scratch.db,
    'the total refunded of the payment (refund_of = its id)',
    `SELECT COALESCE(SUM(e.amount_minor), 0)::bigint AS total FROM entries e JOIN transactions t ON t.id = e.transaction_id
     WHERE t.refund_of = (SELECT id FROM transactions WHERE reference = ${literal(original)}) AND e.amount_minor > 0`,
  );
  const total = refunded!.total;
  trace.push(`after both: ${names(outcomes)}; the refunds of ${original} total ${dollars(total)} of ${dollars(racePayment)}`);
  return { trace, outcomes, deadlock, refunded: total };
}

/**
 * Every scenario at every level, on the student's schema with its refund guard installed in
 * `scratch`. Null when every race ends right, else the first wrong one with its interleaving.
 */
export async function checkConcurrentRefunds(scratch: ScratchDatabase, usd: string): Promise<CheckResult | null> {
  const sessions = await raceSessions(scratch);
  let n = 0;
  for (const level of isolationLevels) {
    for (const scenario of raceScenarios) {
      const { trace, outcomes, deadlock, refunded } = await runRace(scratch, sessions, level, scenario, `check_race_${++n}`, usd);
      const committed = [...outcomes.values()].filter((o) => o.kind === 'committed').length;
      const context = `${scenario.what}, written concurrently at ${level}`;
      const extra = { traceTitle: 'the interleaving (two sessions, A and B)', trace: trace.join('\n') };
      if (deadlock) return fail(`2.3: ${context}: the two sessions deadlocked`, extra);
      if (refunded > BigInt(racePayment)) return fail(`2.3: ${context}: both committed, refunding more than the payment`, extra);
      if (committed < scenario.legitimate) {
        const refused = [...outcomes.values()].find((o) => o.kind === 'failed');
        const why = refused?.kind === 'failed' && refused.error.code === '40001' ? ` (still a serialization failure after ${retries} retries)` : '';
        return fail(`2.3: ${context}: ${scenario.legitimate === 2 ? 'a legitimate refund' : 'the refund that fits'} did not commit${why}`, extra);
      }
    }
  }
  await Promise.all([...sessions.values()].map((s) => s.close()));
  return null;
}

const names = (outcomes: Map<string, SessionOutcome>) => [...outcomes].map(([name, o]) => `${name} ${describeOutcome(o)}`).join(', ');

export const dollars = (minor: number | bigint) => `$${(Number(minor) / 100).toFixed(2)}`;
