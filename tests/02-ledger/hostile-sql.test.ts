/**
 * SQL that attacks the checker or the students graded after it: each runs as the check's own
 * role (no superuser, owner of its schema only), so it fails for that answer alone and the
 * reference answers' verdicts stay the same.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, test } from 'vitest';
import { withScratchDatabase } from '../../tools/sql/database.ts';
import { SqlScriptError } from '../../tools/sql/script.ts';
import { failOnSqlError } from '../../specs/02-ledger/sql-checks.ts';
import { chapter, type LedgerAnswers } from '../../specs/02-ledger/chapter.ts';

let reference: LedgerAnswers;
const schemaTask = chapter.tasks.find((t) => t.id === '2.1')!;

beforeAll(async () => {
  reference = await chapter.loadAnswers('solutions/02-ledger');
  await chapter.prepare?.();
}, 60_000);

// The server stays up for the next file in this worker (one database start-up per worker, not
// per file); the worker's exit stops it (tools/sql/embedded-server.ts).

const prefixed = (sql: string): LedgerAnswers => ({ ...reference, schemaAndPayment: { ...reference.schemaAndPayment, text: `${sql}\n${reference.schemaAndPayment.text}` } });

const marker = `/tmp/workbook-hostile-${randomBytes(4).toString('hex')}`;
const attacks: [string, string, RegExp][] = [
  ['runs a program on the server', `COPY (SELECT 1) TO PROGRAM 'touch ${marker}';`, /permission denied|must be superuser|pg_execute_server_program/],
  ['reads a file of the server', `SELECT pg_read_file('/etc/passwd');`, /permission denied/],
  ['makes the database read-only for everyone after', `ALTER DATABASE postgres SET default_transaction_read_only = on;`, /must be owner|permission denied/],
  ['drops the shared public schema', `DROP SCHEMA public CASCADE;`, /must be owner/],
  ['creates a superuser of its own', `CREATE ROLE intruder SUPERUSER;`, /must be superuser|permission denied/],
];

for (const [what, sql, refusal] of attacks) {
  test(`an answer that ${what} fails, quoting Postgres, and harms nothing`, async () => {
    const result = await schemaTask.check(prefixed(sql));
    expect(result.status, result.message).toBe('fail');
    expect(result.message).toMatch(refusal);
    expect(existsSync(marker)).toBe(false);
    const after = await schemaTask.check(reference);
    expect(after.status, after.message).toBe('pass');
  });
}

test('a statement that lifts its own timeout and sleeps is cancelled from outside at the deadline', async () => {
  const started = performance.now();
  const outcome = await withScratchDatabase(
    'hostile_sleep',
    async ({ db }) => db.exec(`SET statement_timeout = 0; SELECT pg_sleep(60);`).then(() => 'finished', (error: { code?: string }) => error.code),
    300,
  );
  expect(outcome).toBe('57014'); // query_canceled
  expect(performance.now() - started).toBeLessThan(20_000);
});

test('a check’s role cannot change the server’s configuration', async () => {
  // ALTER SYSTEM refuses to run in a script's implicit transaction: alone, it meets the privilege check.
  const code = await withScratchDatabase('hostile_alter_system', async ({ db }) =>
    db.exec(`ALTER SYSTEM SET default_transaction_read_only = on`).then(() => 'changed', (error: { code?: string }) => error.code),
  );
  expect(code).toBe('42501'); // insufficient_privilege
});

test('a statement cancelled at the deadline fails its task as too long, not as a refusal', async () => {
  const cancelled = new SqlScriptError('2.1-schema-and-payment.sql', 'canceling statement due to user request', '57014', 3);
  const result = await failOnSqlError('2.1', () => Promise.reject(cancelled));
  expect(result.status).toBe('fail');
  expect(result.message).toMatch(/^2\.1: a statement ran too long and was cancelled/);
  expect(result.message).not.toMatch(/refused/);
});
