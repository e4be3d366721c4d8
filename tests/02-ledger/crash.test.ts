/**
 * Task 2.4 on a real PostgreSQL server: the payment's first INSERT is written in autocommit
 * and inside BEGIN, the postmaster is killed with SIGKILL, and after a restart (crash recovery)
 * the autocommit half-payment is there and nothing of the open transaction.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { crashARealPostgres, crashTheApplication } from '../../specs/02-ledger/real-crash.ts';

test('after SIGKILL of the postmaster mid-payment, autocommit leaves half a payment and a transaction leaves nothing', { timeout: 60_000 }, async () => {
  const schema = await readFile('solutions/02-ledger/2.1-schema-and-payment.sql', 'utf8');
  const result = await crashARealPostgres({ name: '2.1-schema-and-payment.sql', text: schema });
  expect(result.rows.map((r) => `${r.reference} ${r.account} ${r.amount_minor}`)).toEqual([
    'pay_alice_bob_0001 alice -10000',
    'pay_alice_bob_0001 bob 10000',
    'crash_autocommit alice -10000',
  ]);
  expect(result.unbalanced).toEqual(['crash_autocommit']);
});

test('when the application dies mid-transaction, the server rolls it back as the socket closes', { timeout: 60_000 }, async () => {
  const schema = await readFile('solutions/02-ledger/2.1-schema-and-payment.sql', 'utf8');
  const result = await crashTheApplication({ name: '2.1-schema-and-payment.sql', text: schema });
  expect(result.stateBefore).toBe('idle in transaction');
  expect(result.sessionLeft).toBe(false);
  expect(result.references).toEqual(['pay_alice_bob_0001']);
});
