-- Task 2.3: refunds as reversal entries.
--
-- A refund is a new transaction linked to the payment it reverses, with entries of the
-- opposite sign: the payment's rows are never updated or deleted.
-- The checker runs your 2.1 file, then each step below in order, checking after each:
--   refund-schema     add transactions.refund_of (the id of the refunded transaction: the
--                     type of transactions.id, and REFERENCES it), and make the database
--                     refuse a refund that is not a reversal of the original's own legs
--                     (same accounts, opposite direction), refunds that together reverse
--                     more than the original, and a refund of a refund — also when two
--                     refunds of one payment are written at the same time
--   partial-refund    Bob refunds $30.00 of the payment: Alice -70.00, Bob +70.00
--   refund-the-rest   Bob refunds the remaining $70.00: both balances back to 0
-- Then it tries wrong refunds itself (direct INSERTs): the database must refuse them. And it
-- writes two refunds of one payment on two sessions at once, at READ COMMITTED and at
-- REPEATABLE READ; a serialization failure (SQLSTATE 40001) is retried, as an application must.

-- step: refund-schema
-- BEGIN SOLUTION
ALTER TABLE transactions ADD COLUMN refund_of bigint REFERENCES transactions (id);

-- One row per refunded payment, updated by each of its refunds. Concurrent refunds of one
-- payment meet on this row: at READ COMMITTED the second waits for the first to commit, then
-- its check sees the first refund; at REPEATABLE READ it fails with a serialization failure
-- (SQLSTATE 40001) and the application retries it. A lock on the payment's own row instead
-- (SELECT … FOR UPDATE) deadlocks with the FOR KEY SHARE lock that each refund's foreign key
-- takes on that row, and at REPEATABLE READ a lock alone does not refresh what the check sees.
CREATE TABLE refund_claims (
  transaction_id bigint PRIMARY KEY REFERENCES transactions (id),
  legs_refunded  integer NOT NULL DEFAULT 0
);

-- Checked at COMMIT, once every leg of the refund is in.
CREATE FUNCTION refuse_wrong_refund() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  original_id bigint;
BEGIN
  SELECT refund_of INTO original_id FROM transactions WHERE id = NEW.transaction_id;
  IF original_id IS NULL THEN
    RETURN NULL;
  END IF;
  IF (SELECT refund_of FROM transactions WHERE id = original_id) IS NOT NULL THEN
    RAISE EXCEPTION 'transaction % is a refund: a refund of a refund is refused', original_id
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO refund_claims (transaction_id) VALUES (original_id) ON CONFLICT DO NOTHING;
  UPDATE refund_claims SET legs_refunded = legs_refunded + 1 WHERE transaction_id = original_id;
  -- A refund leg reverses a leg of the original: same account, same currency, opposite sign.
  IF NOT EXISTS (
    SELECT 1 FROM entries o
    WHERE o.transaction_id = original_id AND o.account_id = NEW.account_id
      AND o.currency = NEW.currency AND sign(o.amount_minor) = -sign(NEW.amount_minor)
  ) THEN
    RAISE EXCEPTION 'refund leg on account % does not reverse a leg of transaction %', NEW.account_id, original_id
      USING ERRCODE = 'check_violation';
  END IF;
  -- All refunds together never reverse more than the original moved on an account.
  IF (SELECT abs(SUM(e.amount_minor)) FROM entries e JOIN transactions t ON t.id = e.transaction_id
      WHERE t.refund_of = original_id AND e.account_id = NEW.account_id AND e.currency = NEW.currency)
     > (SELECT abs(SUM(amount_minor)) FROM entries
        WHERE transaction_id = original_id AND account_id = NEW.account_id AND currency = NEW.currency) THEN
    RAISE EXCEPTION 'refunds of transaction % reverse more than it moved on account %', original_id, NEW.account_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER refunds_reverse_the_original
AFTER INSERT ON entries
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION refuse_wrong_refund();
-- END SOLUTION

-- step: partial-refund
-- BEGIN SOLUTION
BEGIN;
INSERT INTO transactions (reference, description, refund_of)
SELECT 'refund_pay_alice_bob_0001_1', 'Bob refunds $30.00 to Alice', id
FROM transactions WHERE reference = 'pay_alice_bob_0001';

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -3000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'refund_pay_alice_bob_0001_1' AND a.name = 'bob';

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, 3000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'refund_pay_alice_bob_0001_1' AND a.name = 'alice';
COMMIT;
-- END SOLUTION

-- step: refund-the-rest
-- BEGIN SOLUTION
BEGIN;
INSERT INTO transactions (reference, description, refund_of)
SELECT 'refund_pay_alice_bob_0001_2', 'Bob refunds the remaining $70.00 to Alice', id
FROM transactions WHERE reference = 'pay_alice_bob_0001';

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -7000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'refund_pay_alice_bob_0001_2' AND a.name = 'bob';

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, 7000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'refund_pay_alice_bob_0001_2' AND a.name = 'alice';
COMMIT;
-- END SOLUTION
