/**
 * Task 2.4 on a real PostgreSQL server: the 2.1 file runs, then the payment's first INSERT is
 * written once in autocommit and once inside BEGIN, and the postmaster is killed with SIGKILL
 * before the second INSERT, as a power cut or the OOM killer would stop it. Restarted on the
 * same data directory, PostgreSQL replays its write-ahead log up to the last commit and the
 * uncommitted transaction is gone (PostgreSQL manual §30.3, "Write-Ahead Logging").
 */
import { connect } from '../../tools/sql/database.ts';
import { startEmbeddedServer } from '../../tools/sql/embedded-server.ts';
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
  // Default durability settings (fsync on): what a production server keeps.
  const server = await startEmbeddedServer({ durable: true });
  try {
    const payer = await connect(server.adminUrl);
    await payer.exec(schemaAndPayment.text);
    // One call each, as an application sends them: outside BEGIN, each INSERT commits itself.
    for (const statement of statementsBeforeTheKill) await payer.exec(statement);
    await server.kill();
    await payer.close();
    await server.restart();
    const db = await connect(server.adminUrl);
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
    await server.stop();
  }
}
