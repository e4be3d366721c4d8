-- Task 2.1: the schema of a double-entry ledger, and Alice paying Bob $100.00.
--
-- The checker runs this file on an empty Postgres schema, then reads and writes these names
-- (the schema contract; add any other columns you like, with defaults):
--   accounts     (id, name, currency)
--   transactions (id, reference)                        reference: unique, the idempotency key
--   entries      (id, transaction_id, account_id, amount_minor, currency)
-- amount_minor is a signed integer in minor units (cents): negative leaves the account,
-- positive enters it, so an account's balance is SUM(amount_minor) of its entries.
-- Ids (of any type) and timestamps must fill themselves in (identity or uuid defaults,
-- DEFAULT now()); a column holding another row's id has that id's type (declare it
-- REFERENCES). Currencies are ISO codes: the checker also writes USD, EUR and JPY, in the
-- case of your accounts ('USD' or 'usd'), and checks here that all three are accepted.
-- An entry's currency is its account's: the database must refuse an entry in another one.
-- No float column anywhere (rates as numeric). Name the accounts 'alice' and 'bob'.

-- BEGIN SOLUTION
-- An account holds one currency (ISO 4217 code). Alice's and Bob's accounts are what the
-- platform owes them: money entering one is a positive entry.
CREATE TABLE accounts (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  currency   char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The target of entries' (account_id, currency) foreign key below.
  UNIQUE (id, currency)
);

-- One row per business event (a payment, a refund); its entries hang off it.
CREATE TABLE transactions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The client's idempotency key: a retried request cannot write the payment twice.
  reference   text NOT NULL UNIQUE,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Append-only: a posted entry is never updated or deleted; corrections are new entries.
CREATE TABLE entries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id bigint NOT NULL REFERENCES transactions (id),
  account_id     bigint NOT NULL,
  -- Integer minor units of the entry's currency (cents for USD, yen for JPY), never float:
  -- 0.1 + 0.2 <> 0.3 in binary floating point.
  amount_minor   bigint NOT NULL CHECK (amount_minor <> 0),
  currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- An entry is in its account's currency: a balance never adds dollars to euros.
  FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency)
);
CREATE INDEX entries_by_transaction ON entries (transaction_id);
CREATE INDEX entries_by_account ON entries (account_id);

INSERT INTO accounts (name, currency) VALUES ('alice', 'USD'), ('bob', 'USD');

-- The payment: one transaction, two entries that sum to zero, written atomically.
BEGIN;
INSERT INTO transactions (reference, description)
VALUES ('pay_alice_bob_0001', 'Alice pays Bob $100.00');

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, -10000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'pay_alice_bob_0001' AND a.name = 'alice';

INSERT INTO entries (transaction_id, account_id, amount_minor, currency)
SELECT t.id, a.id, 10000, 'USD'
FROM transactions t, accounts a
WHERE t.reference = 'pay_alice_bob_0001' AND a.name = 'bob';
COMMIT;
-- END SOLUTION
