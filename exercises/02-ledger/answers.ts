/**
 * Task 2.4: the server crashes between the two INSERTs of Alice's payment.
 *
 * Predict what the ledger holds after a crash at each point of the write, in autocommit
 * (each INSERT commits on its own, no BEGIN) and inside one database transaction
 * (BEGIN; INSERT Alice −10000; INSERT Bob +10000; COMMIT). The checker compares your
 * prediction with the ledger-write model at every crash point.
 */

/** Autocommit: every statement is its own transaction. Transaction: BEGIN … COMMIT. */
export type WriteMode = 'autocommit' | 'transaction';

/**
 * Where the crash strikes. In autocommit there is no COMMIT statement: each INSERT commits
 * itself, so 'after COMMIT' is the same moment as 'after the second INSERT'.
 */
export type CrashPoint = 'before the first INSERT' | 'after the first INSERT' | 'after the second INSERT' | 'after COMMIT';

/** The payment's entries found in the ledger after the database restarts. */
export type Survivors = 'nothing' | "Alice's debit only" | "Bob's credit only" | 'both entries';

export function whatSurvivesACrash(mode: WriteMode, crashPoint: CrashPoint): Survivors {
  throw new Error('TODO: not answered yet');
}
