-- Task 2.2 (b): enforce the invariant in the database.
--
-- Make Postgres refuse to COMMIT a transaction whose entries do not sum to zero (per
-- currency). The checker runs your 2.1 file, then this one, then tries: a balanced payment
-- written one INSERT at a time (must commit), an unbalanced one (COMMIT must fail), one
-- whose USD and EUR legs sum to zero as numbers (must fail), a lone extra entry added to
-- a committed payment (must fail), and an UPDATE and a DELETE of a committed payment's
-- entries that keep it balanced (must fail: posted entries are immutable). A refusal is a constraint violation or RAISE EXCEPTION;
-- any other error (a typo in your trigger) fails the task with Postgres's message.
-- Why not a CHECK constraint? See the chapter's hints.

-- BEGIN SOLUTION
CREATE FUNCTION refuse_unbalanced_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  off record;
BEGIN
  SELECT currency, SUM(amount_minor) AS total INTO off
  FROM entries
  WHERE transaction_id = NEW.transaction_id
  GROUP BY currency
  HAVING SUM(amount_minor) <> 0
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction % is unbalanced: its % entries sum to %', NEW.transaction_id, off.currency, off.total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

-- Deferred: the check runs at COMMIT, once every leg is in. Checked row by row instead, the
-- first leg of every payment would be refused, being unbalanced until the second arrives.
CREATE CONSTRAINT TRIGGER entries_must_balance
AFTER INSERT ON entries
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION refuse_unbalanced_transaction();

-- Posted entries are immutable: a correction is a new entry, never an edit. An UPDATE that
-- doubles both legs, or a DELETE of both, leaves the transaction balanced: the check above
-- cannot see it, so UPDATE and DELETE are refused outright.
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
-- END SOLUTION
