/**
 * Chapter 2's hidden checks: the instructor's, kept out of a student release. They load the
 * answers, prepare and close the server as the visible chapter does, and ask more of the
 * same properties: other random ledgers from another seed, and concurrent refunds with other
 * amounts and three sessions at once. An answer that passes the visible checks by fitting
 * their exact figures (a $60 limit, two sessions) fails here.
 */
import type { Chapter, CheckResult, Task } from '../../tools/grading/task.ts';
import { chapter as visible, type LedgerAnswers } from './chapter.ts';
import { checkInvariantAndEnforcement } from './check-invariant.ts';
import { checkRefundRaces } from './check-refunds.ts';
import { raceOf, type RaceScenario } from './check-concurrent-refunds.ts';
import { ledgerScenario } from './scenario.ts';

/** Another seed and twice the ledgers: a query tuned to the visible sample meets new ones. */
export const hiddenLedgerSample = { runs: 2 * ledgerScenario.ledgerRuns, seed: ledgerScenario.ledgerSeed + 7919 };

const payment = ledgerScenario.racePaymentMinor;
/** Races the visible check does not run. */
export const hiddenRaces: readonly RaceScenario[] = [
  // Three sessions, of which only two fit: a guard that orders two sessions but not three fails.
  raceOf(payment, Math.floor((payment * 2) / 5), 3),
  // Two refunds that exactly use up the payment: both must commit (a guard off by one fails).
  raceOf(payment, Math.floor(payment / 2), 2),
  // Three refunds of a third each (rounded down): all three fit.
  raceOf(payment, Math.floor(payment / 3), 3),
];

/**
 * The visible levels and SERIALIZABLE: a guard must hold whatever level a writer picks. At
 * SERIALIZABLE a race may end in a serialization failure, which the checker retries as the
 * manual asks of every application at that level (PostgreSQL manual §13.2.3).
 */
export const hiddenLevels = ['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'] as const;

/** The visible check's message, under the hidden task's id. */
const renamed = (id: string, result: CheckResult): CheckResult => ({ ...result, message: result.message.replace(/^2\.\d: /, `${id}: `) });

const tasks: readonly Task<LedgerAnswers>[] = [
  {
    id: '2.2h',
    answer: visible.tasks.find((t) => t.id === '2.2')!.answer,
    title: `The invariant on ${hiddenLedgerSample.runs} more random ledgers (another seed)`,
    hint: 'Does your query hold for every ledger, or only for the ones the visible check wrote?',
    check: async (answers) => renamed('2.2h', await checkInvariantAndEnforcement(answers, hiddenLedgerSample)),
  },
  {
    id: '2.3h',
    answer: visible.tasks.find((t) => t.id === '2.3')!.answer,
    title: 'Concurrent refunds: three sessions, refunds that exactly use up the payment, and SERIALIZABLE',
    hint: 'With three refunds in flight, does each one see the others before it decides?',
    check: async (answers) => renamed('2.3h', await checkRefundRaces(answers, hiddenRaces, hiddenLevels)),
  },
];

export const chapter: Chapter<LedgerAnswers> = {
  ...visible,
  title: `${visible.title} (hidden checks)`,
  tasks,
};
