/**
 * Task 2.4 on a real Postgres: the payment's first INSERT is written, once in autocommit and
 * once inside BEGIN, and the process is killed with SIGKILL before the second INSERT.
 * Reopening the data directory shows what survived.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAfterStatements } from '../../tools/sql/crash.ts';
import { openDataDirectory } from '../../tools/sql/database.ts';
import type { SqlSource } from '../../tools/sql/script.ts';

const header = (reference: string) => `INSERT INTO transactions (reference) VALUES ('${reference}')`;
const alicesDebit = (reference: string) =>
  `INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -10000, 'USD' FROM transactions t, accounts a
WHERE t.reference = '${reference}' AND a.name = 'alice'`;

/** What the killed process ran after the 2.1 file, one call each. */
export const statementsBeforeTheKill: readonly string[] = [
  header('crash_autocommit'),
  alicesDebit('crash_autocommit'),
  'BEGIN',
  header('crash_in_transaction'),
  alicesDebit('crash_in_transaction'),
];

export interface RealCrashResult {
  /** Every entry after recovery, with its transaction's reference. */
  rows: { reference: string; account: string | null; amount_minor: bigint | null }[];
  /** References of the transactions whose entries do not sum to zero. */
  unbalanced: string[];
}

export async function crashARealPostgres(schemaAndPayment: SqlSource): Promise<RealCrashResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledger-crash-'));
  try {
    await killAfterStatements(dataDir, [schemaAndPayment.text, ...statementsBeforeTheKill]);
    const db = await openDataDirectory(dataDir);
    try {
      const rows = await db.query<RealCrashResult['rows'][number]>(
        `SELECT t.reference, a.name AS account, e.amount_minor
         FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.id LEFT JOIN accounts a ON a.id = e.account_id
         ORDER BY t.id, e.id`,
      );
      const unbalanced = await db.query<{ reference: string }>(
        `SELECT t.reference FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.id
         GROUP BY t.id, t.reference HAVING COALESCE(SUM(e.amount_minor), 0) <> 0 OR count(e.id) < 2 ORDER BY t.id`,
      );
      return { rows, unbalanced: unbalanced.map((r) => r.reference) };
    } finally {
      await db.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
