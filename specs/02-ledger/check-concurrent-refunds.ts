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
import { dollars, ledgerScenario } from './scenario.ts';

export const isolationLevels: readonly string[] = ['READ COMMITTED', 'REPEATABLE READ'];

export interface RaceScenario {
  /** The payment refunded concurrently, in minor units. */
  payment: number;
  /** One refund per session (A, B, C…), all written before any is checked. */
  refunds: readonly number[];
  /** How many of them must commit: every one that still fits in the payment. */
  legitimate: number;
  what: string;
}

/** Concurrent refunds of one payment, `refunds` sessions each refunding `amount`. */
export function raceOf(payment: number, amount: number, sessions = 2): RaceScenario {
  const count = ['one', 'two', 'three', 'four'][sessions - 1] ?? String(sessions);
  return {
    payment,
    refunds: Array.from({ length: sessions }, () => amount),
    legitimate: Math.min(sessions, Math.floor(payment / amount)),
    what: `${count} ${dollars(amount)} refunds of a ${dollars(payment)} payment`,
  };
}

/** Two refunds of one payment: both legitimate, or together more than it. */
export const racePayment = ledgerScenario.racePaymentMinor;
export const raceScenarios: readonly RaceScenario[] = [
  raceOf(racePayment, ledgerScenario.raceLegitimateRefundMinor),
  raceOf(racePayment, ledgerScenario.raceOverRefundMinor),
];
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
  const names = [...sessions.keys()].slice(0, amounts.length);
  const stepsOf = (name: string, attempt: number) => refundSteps(name, level, `${original}_refund_${name}${attempt ? `_retry${attempt}` : ''}`, original, amounts[names.indexOf(name)]!, usd);
  const steps = names.map((name) => stepsOf(name, 0));
  // Every refund written (in turn), then every one checked, before any commits.
  const order = [...steps.flatMap((s) => [s[0]!, s[1]!]), ...steps.map((s) => s[2]!), ...steps.map((s) => s[3]!)];
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

export interface RaceRun {
  trace: string[];
  outcomes: Map<string, SessionOutcome>;
  deadlock: boolean;
  /** Minor units the refunds of the payment reverse, after both sessions ended. */
  refunded: bigint;
}

/** `count` sessions (A, B…) on `scratch`, opened once and reused by every race. */
export async function raceSessions(scratch: ScratchDatabase, count = 2): Promise<Map<string, Database>> {
  const sessions = new Map<string, Database>();
  for (const name of 'ABCDEFGH'.slice(0, count)) sessions.set(name, await scratch.session());
  return sessions;
}

/** One race: a fresh payment of `original`, then its two refunds interleaved. */
export async function runRace(scratch: ScratchDatabase, sessions: Map<string, Database>, level: string, scenario: RaceScenario, original: string, usd: string): Promise<RaceRun> {
  const paymentLegs: Leg[] = [['alice', -scenario.payment, usd], ['bob', scenario.payment, usd]];
  await checkerWrites(scratch.db, `a ${dollars(scenario.payment)} payment to refund concurrently`, ledgerTransaction(original, paymentLegs));
  const { trace, outcomes, deadlock } = await race(sessions, scratch.db, level, original, scenario.refunds, usd);
  const [refunded] = await checkerReads<{ total: bigint }>(
    scratch.db,
    'the total refunded of the payment (refund_of = its id)',
    `SELECT COALESCE(SUM(e.amount_minor), 0)::bigint AS total FROM entries e JOIN transactions t ON t.id = e.transaction_id
     WHERE t.refund_of = (SELECT id FROM transactions WHERE reference = ${literal(original)}) AND e.amount_minor > 0`,
  );
  const total = refunded!.total;
  trace.push(`after both: ${names(outcomes)}; the refunds of ${original} total ${dollars(total)} of ${dollars(scenario.payment)}`);
  return { trace, outcomes, deadlock, refunded: total };
}

/**
 * Every scenario at every level, on the student's schema with its refund guard installed in
 * `scratch`. Null when every race ends right, else the first wrong one with its interleaving.
 */
export async function checkConcurrentRefunds(
  scratch: ScratchDatabase,
  usd: string,
  scenarios: readonly RaceScenario[] = raceScenarios,
  levels: readonly string[] = isolationLevels,
): Promise<CheckResult | null> {
  const sessions = await raceSessions(scratch, Math.max(...scenarios.map((s) => s.refunds.length)));
  let n = 0;
  for (const level of levels) {
    for (const scenario of scenarios) {
      const { trace, outcomes, deadlock, refunded } = await runRace(scratch, sessions, level, scenario, `check_race_${++n}`, usd);
      const committed = [...outcomes.values()].filter((o) => o.kind === 'committed').length;
      const context = `${scenario.what}, written concurrently at ${level}`;
      const names = [...outcomes.keys()].join(', ');
      const extra = { traceTitle: `the interleaving (sessions ${names})`, trace: trace.join('\n') };
      const all = scenario.refunds.length === 2 ? 'both' : 'all';
      if (deadlock) return fail(`2.3: ${context}: the ${scenario.refunds.length === 2 ? 'two' : ''} sessions deadlocked`.replace('  ', ' '), extra);
      if (refunded > BigInt(scenario.payment)) {
        return fail(`2.3: ${context}: ${committed === scenario.refunds.length ? all : committed} committed, refunding more than the payment`, extra);
      }
      if (committed < scenario.legitimate) {
        const refused = [...outcomes.values()].find((o) => o.kind === 'failed');
        const why = refused?.kind === 'failed' && refused.error.code === '40001' ? ` (still a serialization failure after ${retries} retries)` : '';
        return fail(`2.3: ${context}: ${scenario.legitimate === scenario.refunds.length ? 'a legitimate refund' : 'a refund that fits'} did not commit${why}`, extra);
      }
    }
  }
  await Promise.all([...sessions.values()].map((s) => s.close()));
  return null;
}

const names = (outcomes: Map<string, SessionOutcome>) => [...outcomes].map(([name, o]) => `${name} ${describeOutcome(o)}`).join(', ');

export { dollars };
