/**
 * Task 2.4 on a real PostgreSQL server: the 2.1 file runs, then the payment's first INSERT is
 * written once in autocommit and once inside BEGIN, and the postmaster is killed with SIGKILL
 * before the second INSERT, as a power cut or the OOM killer would stop it. Restarted on the
 * same data directory, PostgreSQL replays its write-ahead log up to the last commit and the
 * uncommitted transaction is gone (PostgreSQL manual §30.3, "Write-Ahead Logging").
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../tools/sql/database.ts';
import { startEmbeddedServer } from '../../tools/sql/embedded-server.ts';
import type { SqlSource } from '../../tools/sql/script.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

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

export interface ApplicationCrashResult {
  /** The application's session as the server saw it before the crash (pg_stat_activity.state). */
  stateBefore: string;
  /** Whether the server still listed that session once the application was gone. */
  sessionLeft: boolean;
  /** The references in the ledger after the crash. */
  references: string[];
}

/**
 * The application dies, not the server: a child process opens BEGIN, writes the payment's
 * header and Alice's leg, and is killed with SIGKILL. The OS closes its socket, the server's
 * backend reads end-of-file, and the open transaction is rolled back.
 */
export async function crashTheApplication(schemaAndPayment: SqlSource): Promise<ApplicationCrashResult> {
  const server = await startEmbeddedServer();
  try {
    const admin = await connect(server.adminUrl);
    try {
      await admin.exec(schemaAndPayment.text);
      const script = `import pg from 'pg';
const client = new pg.Client(${JSON.stringify(server.adminUrl)});
await client.connect();
await client.query("SET application_name = 'payment_app'");
await client.query('BEGIN');
${statementsBeforeTheKill.slice(3).map((s) => `await client.query(${JSON.stringify(s)});`).join('\n')}
process.stdout.write('ready\\n');
setInterval(() => undefined, 60000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
        void exited.then(() => reject(new Error('the application process exited before it was killed')));
      });
      const session = `SELECT state FROM pg_stat_activity WHERE application_name = 'payment_app'`;
      const [before] = await admin.query<{ state: string }>(session);
      child.kill('SIGKILL');
      await exited;
      // The backend notices the closed socket on its next read: wait for it to go (bounded).
      let left = true;
      for (let i = 0; i < 200 && left; i++) {
        left = (await admin.query(session)).length > 0;
        if (left) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const references = (await admin.query<{ reference: string }>('SELECT reference FROM transactions ORDER BY id')).map((r) => r.reference);
      return { stateBefore: before?.state ?? 'not found', sessionLeft: left, references };
    } finally {
      await admin.close();
    }
  } finally {
    await server.stop();
  }
}
