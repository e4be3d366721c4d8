/**
 * The invariants of the double-entry ledger, each a named predicate with a one-line
 * statement and the task it backs.
 *
 * The model's invariants are checked on every reachable state of the ledger-write model
 * (every crash point of every write, in both transaction modes, single-phase and hold);
 * the SQL invariants are checked on real Postgres by the chapter's tasks.
 */
import type { SnapshotFrom } from 'xstate';
import type { Invariant, StepProperty } from '../../tools/explore/explore.ts';
import {
  capturedMinor,
  postedToBobMinor,
  refundedMinor,
  reservedMinor,
  transactionsIn,
  type Entry,
  type LedgerWriteEvent,
  type LedgerWriteModel,
} from '../../models/ledger-write/machine.ts';

type Snapshot = SnapshotFrom<LedgerWriteModel>;

const sumOf = (entries: readonly Entry[]) => entries.reduce((sum, e) => sum + e.amountMinor, 0);

export const balancedTransactions: Invariant<Snapshot> = {
  id: 'LEDGER-1',
  statement: 'The committed entries of every ledger transaction sum to zero: money is neither created nor destroyed.',
  task: '2.2',
  holds: ({ context }) =>
    transactionsIn(context.committed).every((name) => sumOf(context.committed.filter((e) => e.transaction === name)) === 0),
};

export const noPartialTransactionAfterACrash: Invariant<Snapshot> = {
  id: 'LEDGER-2',
  statement: 'No partial transaction survives a crash: each ledger transaction is either wholly committed or absent.',
  task: '2.4',
  holds: ({ value, context }) =>
    value !== 'crashed' ||
    transactionsIn(context.committed).every(
      (name) => context.committed.filter((e) => e.transaction === name).length === context.legs[name],
    ),
};

export const refundsWithinTheOriginal: Invariant<Snapshot> = {
  id: 'LEDGER-4',
  statement: 'Committed refunds never exceed what the original payment (or capture) posted to the merchant.',
  task: '2.3',
  holds: ({ context }) => refundedMinor(context.committed) <= postedToBobMinor(context.committed),
};

export const captureWithinTheHold: Invariant<Snapshot> = {
  id: 'LEDGER-5',
  statement: 'A hold never posts more than it reserved: the committed capture is at most the authorised amount.',
  task: '2.4',
  holds: ({ context }) => capturedMinor(context.committed) <= reservedMinor(context.committed),
};

export const holdResolvesOnce: Invariant<Snapshot> = {
  id: 'LEDGER-6',
  statement: 'A hold resolves at most once: a capture or a void, never both, never twice.',
  task: '2.4',
  holds: ({ context }) => {
    const resolutions = transactionsIn(context.committed).filter((name) => name === 'capture' || name === 'void');
    return resolutions.length <= 1;
  },
};

/** Every invariant the model checks in every reachable state. */
export const ledgerInvariants: readonly Invariant<Snapshot>[] = [
  balancedTransactions,
  noPartialTransactionAfterACrash,
  refundsWithinTheOriginal,
  captureWithinTheHold,
  holdResolvesOnce,
];

/** Posted rows are append-only: a step may add committed rows, never change or remove one. */
export const appendOnly: StepProperty<Snapshot, LedgerWriteEvent> = {
  id: 'LEDGER-3',
  statement: 'A posted entry is never updated or deleted: every step keeps the committed rows and only appends new ones.',
  task: '2.3',
  holds: (before, _event, after) =>
    before.context.committed.every((entry, i) => JSON.stringify(entry) === JSON.stringify(after.context.committed[i])),
};

export const ledgerStepProperties: readonly StepProperty<Snapshot, LedgerWriteEvent>[] = [appendOnly];

/** Invariants checked on Postgres by the tasks rather than on the model. */
export interface SqlInvariant {
  id: string;
  statement: string;
  task: string;
  /** How the check establishes it. */
  checkedBy: string;
}

export const sqlInvariants: readonly SqlInvariant[] = [
  {
    id: 'LEDGER-7',
    statement: 'Money is integer minor units: no float, real, double precision or money column anywhere in the schema.',
    task: '2.1',
    checkedBy: 'the catalogue of the student schema, after running it on Postgres',
  },
  {
    id: 'LEDGER-8',
    statement: "An account's balance is the sum of its entries; a stored balance, if any, must equal that sum.",
    task: '2.1',
    checkedBy: 'balances queried from the entries after the payment, and compared with any balance column',
  },
  {
    id: 'LEDGER-9',
    statement: 'The unbalanced-transactions query returns exactly the corrupted transactions of any ledger.',
    task: '2.2',
    checkedBy: 'fast-check: random ledgers, some balanced, some corrupted (a bad amount, a missing leg, a wrong sign, a leg in another currency)',
  },
  {
    id: 'LEDGER-10',
    statement: 'The database refuses to commit an unbalanced transaction, and refuses a refund beyond the original.',
    task: '2.2, 2.3',
    checkedBy: 'unbalanced COMMITs (a bad amount, one leg, USD against EUR) and over-refunds must each be refused by a constraint or RAISE EXCEPTION',
  },
  {
    id: 'LEDGER-11',
    statement: "An entry is in its account's currency.",
    task: '2.1',
    checkedBy: "an entry of EUR on a USD account, in a transaction balanced in EUR, must be refused",
  },
  {
    id: 'LEDGER-12',
    statement: 'A posted entry is never updated or deleted (LEDGER-3, enforced by the database).',
    task: '2.2',
    checkedBy: 'an UPDATE and a DELETE that keep a committed payment balanced must each be refused, the entries unchanged',
  },
  {
    id: 'LEDGER-13',
    statement: "A refund reverses legs of its original (same account and currency, opposite sign), never more than the original moved, and is never itself refunded.",
    task: '2.3',
    checkedBy: 'a refund to a third account, one in the payment\'s direction, one cent too many and a refund of a refund must each be refused',
  },
  {
    id: 'LEDGER-14',
    statement: 'Concurrent refunds of one payment never total more than it, never deadlock, and each legitimate one commits (after a retry of a serialization failure at most).',
    task: '2.3',
    checkedBy: 'two sessions driven step by step: two partial refunds that fit, and two that together exceed the payment, at READ COMMITTED and REPEATABLE READ',
  },
];
