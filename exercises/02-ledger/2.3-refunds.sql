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
-- TODO: not answered yet

-- step: partial-refund
-- TODO: not answered yet

-- step: refund-the-rest
-- TODO: not answered yet
