-- Task 2.2 (a): the invariant as a query.
--
-- Write ONE query (a single statement) that returns the unbalanced transactions: one row
-- per transaction whose entries do not sum to zero (never twice), with its id in a column
-- named transaction_id.
-- Mind currencies: $10.00 out and €10.00 in is not balanced.
-- The checker runs it on your 2.1 schema filled with random ledgers, some of them corrupted.

-- TODO: not answered yet
