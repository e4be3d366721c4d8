/**
 * Chapter 2's hidden checks: the instructor's, kept out of a student release. They load the
 * answers, prepare and close the server as the visible chapter does, and ask more of the
 * same properties: other random ledgers from another seed, and concurrent refunds with other
 * amounts and three sessions at once. An answer that passes the visible checks by fitting
 * their exact figures (a $60 limit, two sessions) fails here.
 */
import { fail, pass, type Chapter, type CheckResult, type Task } from '../../tools/grading/task.ts';
import { unpredictableName, withScratchDatabase } from '../../tools/sql/database.ts';
import { answeredSql, runScript } from '../../tools/sql/script.ts';
import { checkerWrites, currencySpelling, describeLegs, failOnSqlError, ledgerTransaction, literal, refusal, whenTheSchemaFails, type Leg } from './sql-checks.ts';
import { refundStepsOf } from './check-refunds.ts';
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

/** Refunds in the other currencies the schema takes: a guard written for dollars alone fails. */
export const otherCurrencyPayments = [
  { currency: 'EUR', paymentMinor: ledgerScenario.secondPaymentMinor },
  // Yen have no minor digits (ISO 4217): ¥5,000 is 5000 minor units.
  { currency: 'JPY', paymentMinor: 5_000 },
] as const;

/** 2.3 in EUR and JPY: an over-refund and a refund in the payment's direction refused, a full one committed. */
async function refundsInOtherCurrencies(answers: LedgerAnswers): Promise<CheckResult> {
  const steps = refundStepsOf(answeredSql(answers.refunds));
  if ('status' in steps) return steps;
  const schemaFails = await whenTheSchemaFails('2.3', answers);
  if (schemaFails) return schemaFails;
  return withScratchDatabase('2.3h', ({ db }) =>
    failOnSqlError('2.3', async () => {
      await runScript(db, answers.schemaAndPayment);
      await runScript(db, steps['refund-schema']);
      const spell = await currencySpelling(db);
      for (const { currency, paymentMinor } of otherCurrencyPayments) {
        const code = spell(currency);
        const [payer, payee] = [`alice_${currency.toLowerCase()}`, `bob_${currency.toLowerCase()}`];
        await checkerWrites(db, `accounts ${payer} and ${payee} in ${code}`, `INSERT INTO accounts (name, currency) VALUES (${literal(payer)}, ${literal(code)}), (${literal(payee)}, ${literal(code)})`);
        const payment = unpredictableName('pay');
        const legs: Leg[] = [[payer, -paymentMinor, code], [payee, paymentMinor, code]];
        await checkerWrites(db, `a payment of ${paymentMinor} ${code} minor units (${describeLegs(legs)})`, ledgerTransaction(payment, legs));
        const wrong: [string, Leg[]][] = [
          [`a refund of one minor unit more than the ${code} payment`, [[payee, -(paymentMinor + 1), code], [payer, paymentMinor + 1, code]]],
          [`a "refund" of the ${code} payment in its own direction`, [[payer, -1, code], [payee, 1, code]]],
        ];
        for (const [what, refundLegs] of wrong) {
          const described = `${what} (${describeLegs(refundLegs)})`;
          if ((await refusal(db, described, ledgerTransaction(unpredictableName('refund'), refundLegs, payment))) === null) {
            return fail(`2.3: ${described} was committed: the database must refuse it`);
          }
        }
        const fullLegs: Leg[] = [[payee, -paymentMinor, code], [payer, paymentMinor, code]];
        const full = await refusal(db, `a full refund of the ${code} payment (${describeLegs(fullLegs)})`, ledgerTransaction(unpredictableName('refund'), fullLegs, payment));
        if (full) return fail(`2.3: a full refund of a ${code} payment was refused: ${full.databaseMessage}`);
      }
      return pass(`refunds checked in ${otherCurrencyPayments.map((p) => p.currency).join(' and ')} too`);
    }),
  );
}

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
    title: 'Refunds: three concurrent sessions, refunds that exactly use up the payment, SERIALIZABLE, euros and yen',
    hint: 'With three refunds in flight, does each one see the others before it decides? Does anything in your guard assume dollars?',
    check: async (answers) => {
      const races = await checkRefundRaces(answers, hiddenRaces, hiddenLevels);
      if (races.status !== 'pass') return renamed('2.3h', races);
      const currencies = await refundsInOtherCurrencies(answers);
      if (currencies.status !== 'pass') return renamed('2.3h', currencies);
      return pass(`2.3h: ${races.message}; ${currencies.message}`);
    },
  },
];

export const chapter: Chapter<LedgerAnswers> = {
  ...visible,
  title: `${visible.title} (hidden checks)`,
  tasks,
};
