/**
 * The accounts of a cross-border payment: the payer's in the US region, the payee's in the EU
 * region, and a transit account in each region for money on its way between them.
 *
 * Each region's database commits only its own accounts, so money crosses regions as two
 * local transactions: the US moves it from the payer into US transit; the EU moves it from
 * EU transit to the payee (EU transit goes negative: a claim on the US, settled between the
 * regions later by netting the two transit accounts). Every local transaction is balanced,
 * so the sum of the four accounts never changes; money is *in flight* while the two transit
 * accounts do not cancel out.
 */
export type Region = 'us' | 'eu';

export interface Balances {
  payer: number;
  usTransit: number;
  euTransit: number;
  payee: number;
}

/** A local transaction: which region commits it, and what it moves. */
export type LocalAction =
  /** US: payer → US transit. May be refused (insufficient funds). */
  | 'debit_payer_into_transit'
  /** EU: EU transit → payee. May be refused (payee account closed, compliance hold). */
  | 'credit_payee_from_transit'
  /** US: US transit → payer (undoes the debit). */
  | 'refund_payer_from_transit'
  /** EU: payee → EU transit (undoes the credit). */
  | 'reverse_payee_credit';

export const localActions: readonly LocalAction[] = [
  'debit_payer_into_transit',
  'credit_payee_from_transit',
  'refund_payer_from_transit',
  'reverse_payee_credit',
];

export const regionOf: Record<LocalAction, Region> = {
  debit_payer_into_transit: 'us',
  credit_payee_from_transit: 'eu',
  refund_payer_from_transit: 'us',
  reverse_payee_credit: 'eu',
};

/** The balances after a local transaction moving `amount` minor units. */
export function apply(balances: Balances, action: LocalAction, amount: number): Balances {
  switch (action) {
    case 'debit_payer_into_transit':
      return { ...balances, payer: balances.payer - amount, usTransit: balances.usTransit + amount };
    case 'credit_payee_from_transit':
      return { ...balances, euTransit: balances.euTransit - amount, payee: balances.payee + amount };
    case 'refund_payer_from_transit':
      return { ...balances, usTransit: balances.usTransit - amount, payer: balances.payer + amount };
    case 'reverse_payee_credit':
      return { ...balances, payee: balances.payee - amount, euTransit: balances.euTransit + amount };
  }
}

export const total = (b: Balances) => b.payer + b.usTransit + b.euTransit + b.payee;

/** Money that left one region and has not arrived in the other (or come back). */
export const inFlight = (b: Balances) => b.usTransit + b.euTransit;

/** How a transfer ended, judged by the balances alone. */
export function settlement(b: Balances, initial: Balances, amount: number): 'completed' | 'compensated' | 'unsettled' {
  if (inFlight(b) !== 0) return 'unsettled';
  if (b.payer === initial.payer - amount && b.payee === initial.payee + amount) return 'completed';
  if (b.payer === initial.payer && b.payee === initial.payee && b.usTransit === initial.usTransit) return 'compensated';
  return 'unsettled';
}
