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
-- TODO: not answered yet

-- step: partial-refund
-- TODO: not answered yet

-- step: refund-the-rest
-- TODO: not answered yet
