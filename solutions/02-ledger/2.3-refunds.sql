-- Task 2.3: refunds as reversal entries.
--
-- A refund is a new transaction linked to the payment it reverses, with entries of the
-- opposite sign: the payment's rows are never updated or deleted.
-- The checker runs your 2.1 file, then each step below in order, checking after each:
--   refund-schema     add transactions.refund_of (the id of the refunded transaction: the
--                     type of transactions.id, and REFERENCES it), and make the database
--                     refuse refunds that total more than the original
--   partial-refund    Bob refunds $30.00 of the payment: Alice -70.00, Bob +70.00
--   refund-the-rest   Bob refunds the remaining $70.00: both balances back to 0
-- Then it tries a refund of one more cent itself (direct INSERTs): the database must refuse it.

-- step: refund-schema
-- BEGIN SOLUTION
ALTER TABLE transactions ADD COLUMN refund_of bigint REFERENCES transactions (id);

-- Append-only: a posted entry is corrected by a new entry, never changed in place.
CREATE FUNCTION refuse_changing_posted_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'entries are append-only: % refused, post a reversal instead', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER entries_are_append_only
BEFORE UPDATE OR DELETE ON entries
FOR EACH ROW EXECUTE FUNCTION refuse_changing_posted_entries();

-- A transaction's amount is what it moved: the sum of its positive entries.
CREATE FUNCTION refuse_over_refund() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  original_id bigint;
  original_minor bigint;
  refunded_minor bigint;
BEGIN
  SELECT refund_of INTO original_id FROM transactions WHERE id = NEW.transaction_id;
  IF original_id IS NULL THEN
    RETURN NULL;
  END IF;
  -- Lock the original: two refunds committing at once would otherwise each see only the
  -- committed refunds, and together exceed the payment.
  PERFORM 1 FROM transactions WHERE id = original_id FOR UPDATE;
  SELECT COALESCE(SUM(amount_minor), 0) INTO original_minor
  FROM entries WHERE transaction_id = original_id AND amount_minor > 0;
  SELECT COALESCE(SUM(e.amount_minor), 0) INTO refunded_minor
  FROM entries e JOIN transactions t ON t.id = e.transaction_id
  WHERE t.refund_of = original_id AND e.amount_minor > 0;
  IF refunded_minor > original_minor THEN
    RAISE EXCEPTION 'refunds of transaction % total % but it moved only %', original_id, refunded_minor, original_minor
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER refunds_within_original
AFTER INSERT ON entries
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION refuse_over_refund();
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
