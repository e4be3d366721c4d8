/**
 * 2.3 under concurrency, on two real sessions: guards that lock wrongly fail with the
 * interleaving as the trace; a guard that differs from the key's but is right passes.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, expect, test } from 'vitest';
import { chapter, type LedgerAnswers } from '../../specs/02-ledger/chapter.ts';

let reference: LedgerAnswers;

beforeAll(async () => {
  reference = await chapter.loadAnswers('solutions/02-ledger');
  await chapter.prepare?.();
}, 60_000);

// The server stays up for the next file in this worker (one database start-up per worker, not
// per file); the worker's exit stops it (tools/sql/embedded-server.ts).

const refundTask = chapter.tasks.find((t) => t.id === '2.3')!;

/** The reference refunds file with its refund-schema step replaced by `sql`. */
function withRefundSchema(sql: string): LedgerAnswers {
  const text = reference.refunds.text.replace(/(-- step: refund-schema\n)[\s\S]*?(\n-- step: partial-refund)/, (_, head: string, tail: string) => `${head}${sql}\n${tail}`);
  if (text === reference.refunds.text) throw new Error('the refund-schema step was not replaced');
  return { ...reference, refunds: { ...reference.refunds, text } };
}

const fixture = (name: string) => readFile(`tests/02-ledger/fixtures/${name}`, 'utf8');

test('a guard that locks the original FOR UPDATE deadlocks with the foreign key’s FOR KEY SHARE: the trace shows the interleaving', { timeout: 30_000 }, async () => {
  const result = await refundTask.check(withRefundSchema(await fixture('guard-for-update.sql')));
  expect(result.status, result.message).toBe('fail');
  expect(result.message).toMatch(/^2\.3: two \$30\.00 refunds of a \$100\.00 payment, written concurrently at READ COMMITTED: the two sessions deadlocked/);
  expect(result.trace).toMatch(/A: SET CONSTRAINTS ALL IMMEDIATE .*\nA: … waits for a lock held by B/);
  expect(result.trace).toMatch(/deadlock: /);
});

test('the same guard with FOR NO KEY UPDATE passes READ COMMITTED, but at REPEATABLE READ two $60 refunds of $100 both commit', { timeout: 30_000 }, async () => {
  const noKey = (await fixture('guard-for-update.sql')).replace('FOR /* lock */ UPDATE', 'FOR NO KEY UPDATE');
  const result = await refundTask.check(withRefundSchema(noKey));
  expect(result.status, result.message).toBe('fail');
  expect(result.message).toMatch(/two \$60\.00 refunds .* at REPEATABLE READ: both committed, refunding more than the payment/);
  expect(result.trace).toMatch(/A committed, B committed; the refunds of check_race_\d+ total \$120\.00 of \$100\.00/);
});

test('a guard with no lock at all lets two $60 refunds of $100 commit at READ COMMITTED', { timeout: 30_000 }, async () => {
  const noLock = (await fixture('guard-for-update.sql')).replace(/  PERFORM 1 FROM transactions WHERE id = original_id FOR \/\* lock \*\/ UPDATE;\n/, '');
  const result = await refundTask.check(withRefundSchema(noLock));
  expect(result.status, result.message).toBe('fail');
  expect(result.message).toMatch(/two \$60\.00 refunds .* at READ COMMITTED: both committed/);
  // The message says what went wrong, never which lock to take.
  expect(result.message).not.toMatch(/FOR (NO KEY )?UPDATE|advisory|SERIALIZABLE/i);
});

test('a right guard unlike the key’s (a CHECKed remaining amount per leg, claimed as each leg is written) passes, races included', { timeout: 30_000 }, async () => {
  const result = await refundTask.check(withRefundSchema(await fixture('guard-remaining-per-leg.sql')));
  expect(result.status, `${result.message}\n${result.trace ?? ''}`).toBe('pass');
});

test('another right guard (a refunded total on the payment’s row, updated as each leg is written) passes, races included', { timeout: 30_000 }, async () => {
  const result = await refundTask.check(withRefundSchema(await fixture('guard-counter-on-payment.sql')));
  expect(result.status, `${result.message}\n${result.trace ?? ''}`).toBe('pass');
});
