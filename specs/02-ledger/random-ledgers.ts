/**
 * Random ledgers for task 2.2: transactions of two to four legs in one currency, balanced,
 * some of them then corrupted in one of the ways real ledgers go wrong. Every corruption
 * provably unbalances its transaction (all legs are non-zero), so the corrupted ones are
 * exactly the transactions a correct query must return.
 */
import fc from 'fast-check';

export const currencies = ['USD', 'EUR', 'JPY'] as const;
export type Currency = (typeof currencies)[number];

/** Legs use accounts `fuzz_<currency>_<0..3>`, created once per check. */
export const legsPerTransactionAtMost = 4;

export type Corruption = 'none' | 'a bad amount' | 'a missing leg' | 'a wrong sign' | 'a leg in another currency';

export interface Leg {
  account: string;
  currency: Currency;
  amountMinor: number;
}

export interface RandomTransaction {
  reference: string;
  corruption: Corruption;
  legs: Leg[];
}

const accountName = (currency: Currency, index: number) => `fuzz_${currency}_${index}`;

/** Every account a random ledger may use, as (name, currency). */
export const fuzzAccounts = currencies.flatMap((currency) =>
  Array.from({ length: legsPerTransactionAtMost }, (_, i) => ({ name: accountName(currency, i), currency })),
);

const nonZeroAmount = fc.integer({ min: -1_000_000, max: 1_000_000 }).filter((n) => n !== 0);

/** A balanced transaction: n − 1 random legs and one that brings the sum back to zero. */
const balancedLegs = fc
  .record({
    currency: fc.constantFrom(...currencies),
    amounts: fc.array(nonZeroAmount, { minLength: 1, maxLength: legsPerTransactionAtMost - 1 }),
  })
  .filter(({ amounts }) => amounts.reduce((a, b) => a + b, 0) !== 0)
  .map(({ currency, amounts }): Leg[] =>
    [...amounts, -amounts.reduce((a, b) => a + b, 0)].map((amountMinor, i) => ({
      account: accountName(currency, i),
      currency,
      amountMinor,
    })),
  );

const corruptions = fc.oneof(
  { arbitrary: fc.constant<Corruption>('none'), weight: 4 },
  { arbitrary: fc.constantFrom<Corruption>('a bad amount', 'a missing leg', 'a wrong sign', 'a leg in another currency'), weight: 3 },
);

function corrupt(legs: Leg[], corruption: Corruption, at: number, delta: number): Leg[] {
  const i = at % legs.length;
  const leg = legs[i]!;
  switch (corruption) {
    case 'none':
      return legs;
    case 'a bad amount':
      return legs.map((l, j) => (j === i ? { ...l, amountMinor: l.amountMinor + delta } : l));
    case 'a missing leg':
      return legs.filter((_, j) => j !== i);
    case 'a wrong sign':
      return legs.map((l, j) => (j === i ? { ...l, amountMinor: -l.amountMinor } : l));
    case 'a leg in another currency': {
      const other = currencies[(currencies.indexOf(leg.currency) + 1) % currencies.length]!;
      return legs.map((l, j) => (j === i ? { ...l, currency: other, account: accountName(other, j) } : l));
    }
  }
}

const randomTransaction = fc
  .record({ legs: balancedLegs, corruption: corruptions, at: fc.nat(), delta: nonZeroAmount })
  .filter(({ legs, corruption, at, delta }) => corruption !== 'a bad amount' || legs[at % legs.length]!.amountMinor + delta !== 0)
  .map(({ legs, corruption, at, delta }) => ({ corruption, legs: corrupt(legs, corruption, at, delta) }));

/** A ledger of one to six transactions, with unique references. */
export const randomLedger = fc
  .array(randomTransaction, { minLength: 1, maxLength: 6 })
  .map((transactions): RandomTransaction[] => transactions.map((t, i) => ({ ...t, reference: `fuzz_${i + 1}` })));

/** The ledger as plain text, for a failing check's trace. */
export function describeLedger(ledger: readonly RandomTransaction[]): string {
  return ledger
    .map((t) => {
      const legs = t.legs.map((l) => `${l.account} ${l.amountMinor > 0 ? '+' : ''}${l.amountMinor} ${l.currency}`).join(', ');
      return `  ${t.reference} (${t.corruption === 'none' ? 'balanced' : `corrupted: ${t.corruption}`}): ${legs}`;
    })
    .join('\n');
}
