/**
 * Chapter 2's scenario figures, in one place: the checks, the answer key and the chapter's
 * text (`<!-- value:NAME -->`) all read them from here.
 *
 * `ledgerScenario` holds what the checker itself writes (the races, the second payment, the
 * random ledgers), so a cohort's variant file may change it and every reference answer still
 * passes. `answerFigures` holds the amounts the student's own SQL writes (Alice's payment,
 * the 2.3 partial refund): they are in the reference SQL too, so they are not a variant's to
 * change; the checks, the key and the text still take them from here, never typed twice.
 */
import { scenario } from '../../tools/variant.ts';
import { scenarioConfig } from '../../models/ledger-write/machine.ts';

export const ledgerScenario = scenario('02-ledger', {
  /** The payment two sessions refund concurrently (minor units of USD). */
  racePaymentMinor: 10_000,
  /** Each of two concurrent refunds that together fit in the payment: both must commit. */
  raceLegitimateRefundMinor: 3_000,
  /** Each of two concurrent refunds that together exceed the payment: exactly one commits. */
  raceOverRefundMinor: 6_000,
  /** The second payment the checker writes to try wrong refunds on. */
  secondPaymentMinor: 5_000,
  /** By how much the checker's over-refund of the second payment exceeds it. */
  overRefundExcessMinor: 1_000,
  /** Random ledgers the 2.2 query is checked on, and fast-check's seed for them. */
  ledgerRuns: 500,
  ledgerSeed: 2026,
});

/**
 * Figures that the student's SQL writes (see above): fixed by the answer files, and the
 * ledger-write model's own scenario, so the model, the checks and the text share them.
 */
const modelScenario = scenarioConfig('transaction');
export const answerFigures = {
  /** Alice pays Bob (task 2.1). */
  paymentMinor: modelScenario.amountMinor,
  /** Bob's first, partial refund (task 2.3, step partial-refund); the second refunds the rest. */
  partialRefundMinor: modelScenario.refundAmountsMinor[0]!,
} as const;

/** A scenario whose figures make no sense is refused before any check runs on it. */
export function validateScenario(s: typeof ledgerScenario): typeof ledgerScenario {
  const problems: string[] = [];
  const positive = Object.entries(s).filter(([, v]) => !(v > 0)).map(([k]) => k);
  if (positive.length > 0) problems.push(`${positive.join(', ')} must be positive`);
  if (2 * s.raceLegitimateRefundMinor > s.racePaymentMinor) problems.push('two raceLegitimateRefundMinor must fit in racePaymentMinor');
  if (s.raceOverRefundMinor > s.racePaymentMinor || 2 * s.raceOverRefundMinor <= s.racePaymentMinor) {
    problems.push('one raceOverRefundMinor must fit in racePaymentMinor, two must not');
  }
  if (problems.length > 0) throw new Error(`chapter 2's scenario (variant 02-ledger): ${problems.join('; ')}`);
  return s;
}

validateScenario(ledgerScenario);

export const dollars = (minor: number | bigint) => `$${(Number(minor) / 100).toFixed(2)}`;
