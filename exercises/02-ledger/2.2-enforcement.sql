-- Task 2.2 (b): enforce the invariant in the database.
--
-- Make Postgres refuse to COMMIT a transaction whose entries do not sum to zero (per
-- currency). The checker runs your 2.1 file, then this one, then tries: a balanced payment
-- written one INSERT at a time (must commit), an unbalanced one (COMMIT must fail), and a
-- lone extra entry added to a committed payment (must fail).
-- Why not a CHECK constraint? See the chapter's hints.

-- TODO: not answered yet
