/**
 * The two-phase ledger write: how a payment's entries reach the disk, one statement at a
 * time, with a crash possible between any two statements.
 *
 * A ledger transaction is written as a list of SQL statements. Inside a database transaction
 * the list is `BEGIN`, one `INSERT` per entry, `COMMIT`; in autocommit it is the `INSERT`s
 * alone, and each commits by itself. The context is what the database holds: `committed`
 * (durable: what survives a crash) and `uncommitted` (rows of the open transaction, which
 * Postgres's crash recovery discards: https://www.postgresql.org/docs/current/wal-intro.html).
 *
 * Besides the single-phase payment (Alice pays Bob at once), a config may take the card
 * path: an authorisation reserves the amount in a hold account (the entries are `pending`),
 * and later a capture posts part or all of it to Bob and releases the rest, or a void
 * releases all of it. This is how card authorisation and capture work
 * (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method). Refunds, after
 * money reached Bob, are new reversal entries linked to the original.
 *
 * States: `idle` between two ledger transactions, `writing` while one's statements run,
 * `crashed` after the process died (final: recovery is the database's, retrying the
 * request is chapter 1's idempotency).
 */
import { and, assign, setup } from 'xstate';

export type Account = 'alice' | 'bob' | 'alice_hold';

/** Autocommit: each statement is its own transaction. Transaction: BEGIN … COMMIT. */
export type WriteMode = 'autocommit' | 'transaction';

/** Single-phase: post the payment at once. Hold: authorise (pending), then capture or void. */
export type Posting = 'single-phase' | 'hold';

export interface LedgerWriteConfig {
  mode: WriteMode;
  posting: Posting;
  /** The payment (or the authorisation), in minor units: $100.00 = 10 000 cents. */
  amountMinor: number;
  /** Captures the model tries; those above the hold must be refused. */
  captureAmountsMinor: readonly number[];
  /** Refunds the model tries; those above what is left to refund must be refused. */
  refundAmountsMinor: readonly number[];
  /** At most this many refunds (bounds the state space). */
  maxRefunds: number;
}

/** The exercise: Alice pays Bob $100.00; refunds of $30, $70 and $100 and captures of $60, $100 and $120 are tried. */
export const scenarioConfig = (mode: WriteMode, posting: Posting = 'single-phase'): LedgerWriteConfig => ({
  mode,
  posting,
  amountMinor: 10_000,
  captureAmountsMinor: [6_000, 10_000, 12_000],
  refundAmountsMinor: [3_000, 7_000, 10_000],
  maxRefunds: 2,
});

/** The kinds of ledger transaction; a refund's name carries its number: `refund 1`, `refund 2`. */
export type TransactionName = 'payment' | 'authorisation' | 'capture' | 'void' | `refund ${number}`;

/** One row of the entries table: a signed amount (negative leaves the account). */
export interface Entry {
  transaction: TransactionName;
  account: Account;
  amountMinor: number;
  status: 'pending' | 'posted';
}

export type Statement = { kind: 'BEGIN' } | { kind: 'INSERT'; entry: Entry } | { kind: 'COMMIT' };

export interface LedgerWriteContext {
  /** Durable rows, in commit order: they survive a crash. */
  committed: Entry[];
  /** Rows of the open database transaction: a crash discards them. */
  uncommitted: Entry[];
  /** The ledger transaction being written: its statements and how many have run. */
  writing: { transaction: TransactionName; statements: Statement[]; done: number } | null;
  /** How many entries each ledger transaction has when complete (to tell a partial one). */
  legs: Partial<Record<TransactionName, number>>;
  refundsStarted: number;
  /** Where the crash struck: the last statement that had run (`null`: none ran). */
  crash: { transaction: TransactionName | null; after: string | null } | null;
}

export type LedgerWriteEvent =
  | { type: 'PAY' }
  | { type: 'AUTHORISE' }
  | { type: 'CAPTURE'; amountMinor: number }
  | { type: 'VOID' }
  | { type: 'REFUND'; amountMinor: number }
  | { type: 'NEXT_STATEMENT' }
  | { type: 'CRASH' };

// ── Reading the durable ledger (what the application sees when it queries) ──

const sumOf = (entries: readonly Entry[]) => entries.reduce((sum, e) => sum + e.amountMinor, 0);
const ofTransaction = (entries: readonly Entry[], name: TransactionName) => entries.filter((e) => e.transaction === name);
const isRefund = (name: TransactionName) => name.startsWith('refund');

/** The amount reserved by a committed authorisation (0 if none). */
export const reservedMinor = (committed: readonly Entry[]) =>
  sumOf(ofTransaction(committed, 'authorisation').filter((e) => e.account === 'alice_hold'));

/** The amount moved from the hold to Bob by committed captures. */
export const capturedMinor = (committed: readonly Entry[]) =>
  sumOf(ofTransaction(committed, 'capture').filter((e) => e.account === 'bob'));

/** What reached Bob before any refund: the payment, or the capture. */
export const postedToBobMinor = (committed: readonly Entry[]) =>
  sumOf(committed.filter((e) => e.account === 'bob' && !isRefund(e.transaction)));

/** What committed refunds gave back to Alice. */
export const refundedMinor = (committed: readonly Entry[]) =>
  sumOf(committed.filter((e) => e.account === 'alice' && isRefund(e.transaction)));

/** Names of the committed ledger transactions, in commit order. */
export const transactionsIn = (entries: readonly Entry[]) => [...new Set(entries.map((e) => e.transaction))];

/** Balance of one account: the sum of its committed entries (never stored apart). */
export const balanceOf = (committed: readonly Entry[], account: Account) =>
  sumOf(committed.filter((e) => e.account === account));

// ── The statements of each ledger transaction ──

function entriesOf(event: LedgerWriteEvent, context: LedgerWriteContext, config: LedgerWriteConfig): [TransactionName, Entry[]] {
  const leg = (transaction: TransactionName, account: Account, amountMinor: number, status: Entry['status'] = 'posted'): Entry => ({
    transaction,
    account,
    amountMinor,
    status,
  });
  const amount = config.amountMinor;
  switch (event.type) {
    case 'PAY':
      return ['payment', [leg('payment', 'alice', -amount), leg('payment', 'bob', amount)]];
    case 'AUTHORISE':
      return ['authorisation', [leg('authorisation', 'alice', -amount, 'pending'), leg('authorisation', 'alice_hold', amount, 'pending')]];
    case 'CAPTURE': {
      const rest = reservedMinor(context.committed) - event.amountMinor;
      const capture = [leg('capture', 'alice_hold', -event.amountMinor), leg('capture', 'bob', event.amountMinor)];
      const release = rest > 0 ? [leg('capture', 'alice_hold', -rest), leg('capture', 'alice', rest)] : [];
      return ['capture', [...capture, ...release]];
    }
    case 'VOID': {
      const reserved = reservedMinor(context.committed);
      return ['void', [leg('void', 'alice_hold', -reserved), leg('void', 'alice', reserved)]];
    }
    case 'REFUND': {
      const name: TransactionName = `refund ${context.refundsStarted + 1}`;
      return [name, [leg(name, 'bob', -event.amountMinor), leg(name, 'alice', event.amountMinor)]];
    }
    default:
      throw new Error(`no ledger transaction for ${event.type}`);
  }
}

function statementsFor(entries: Entry[], mode: WriteMode): Statement[] {
  const inserts = entries.map((entry): Statement => ({ kind: 'INSERT', entry }));
  return mode === 'transaction' ? [{ kind: 'BEGIN' }, ...inserts, { kind: 'COMMIT' }] : inserts;
}

/** A statement in words, for traces and the crash-point table: `INSERT alice −10000`. */
export function describeStatement(statement: Statement): string {
  if (statement.kind !== 'INSERT') return statement.kind;
  const { account, amountMinor } = statement.entry;
  return `INSERT ${account} ${amountMinor > 0 ? '+' : '−'}${Math.abs(amountMinor)}`;
}

export function createLedgerWriteModel(config: LedgerWriteConfig) {
  return setup({
    types: {
      context: {} as LedgerWriteContext,
      events: {} as LedgerWriteEvent,
    },
    guards: {
      singlePhase: () => config.posting === 'single-phase',
      holdPosting: () => config.posting === 'hold',
      nothingWrittenYet: ({ context }) => context.legs.payment === undefined && context.legs.authorisation === undefined,
      // The application decides from the durable ledger, as it would after any restart.
      holdIsOpen: ({ context }) =>
        reservedMinor(context.committed) > 0 && context.legs.capture === undefined && context.legs.void === undefined,
      captureWithinHold: ({ context, event }) =>
        event.type === 'CAPTURE' && event.amountMinor > 0 && event.amountMinor <= reservedMinor(context.committed),
      refundWithinWhatIsLeft: ({ context, event }) =>
        event.type === 'REFUND' &&
        context.refundsStarted < config.maxRefunds &&
        event.amountMinor > 0 &&
        refundedMinor(context.committed) + event.amountMinor <= postedToBobMinor(context.committed),
      isLastStatement: ({ context }) => context.writing !== null && context.writing.done === context.writing.statements.length - 1,
    },
    actions: {
      startWrite: assign(({ context, event }) => {
        const [transaction, entries] = entriesOf(event, context, config);
        return {
          writing: { transaction, statements: statementsFor(entries, config.mode), done: 0 },
          legs: { ...context.legs, [transaction]: entries.length },
          refundsStarted: context.refundsStarted + (event.type === 'REFUND' ? 1 : 0),
        };
      }),
      runNextStatement: assign(({ context }) => {
        const writing = context.writing!;
        const statement = writing.statements[writing.done]!;
        const next = { ...writing, done: writing.done + 1 };
        const finished = next.done === writing.statements.length;
        switch (statement.kind) {
          case 'BEGIN':
            return { writing: next };
          case 'INSERT':
            // Inside a transaction the row waits for COMMIT; in autocommit it is durable at once.
            return config.mode === 'transaction'
              ? { writing: next, uncommitted: [...context.uncommitted, statement.entry] }
              : { writing: finished ? null : next, committed: [...context.committed, statement.entry] };
          case 'COMMIT':
            return { writing: null, committed: [...context.committed, ...context.uncommitted], uncommitted: [] };
        }
      }),
      // The process dies: memory is gone and recovery rolls back the open transaction.
      crash: assign(({ context }) => {
        const writing = context.writing;
        const last = writing && writing.done > 0 ? describeStatement(writing.statements[writing.done - 1]!) : null;
        return {
          uncommitted: [],
          writing: null,
          crash: { transaction: writing?.transaction ?? null, after: last },
        };
      }),
    },
  }).createMachine({
    id: 'ledgerWrite',
    context: { committed: [], uncommitted: [], writing: null, legs: {}, refundsStarted: 0, crash: null },
    initial: 'idle',
    states: {
      idle: {
        on: {
          PAY: { guard: and(['singlePhase', 'nothingWrittenYet']), target: 'writing', actions: 'startWrite' },
          AUTHORISE: { guard: and(['holdPosting', 'nothingWrittenYet']), target: 'writing', actions: 'startWrite' },
          CAPTURE: { guard: and(['holdIsOpen', 'captureWithinHold']), target: 'writing', actions: 'startWrite' },
          VOID: { guard: 'holdIsOpen', target: 'writing', actions: 'startWrite' },
          REFUND: { guard: 'refundWithinWhatIsLeft', target: 'writing', actions: 'startWrite' },
          CRASH: { target: 'crashed', actions: 'crash' },
        },
      },
      writing: {
        on: {
          NEXT_STATEMENT: [
            { guard: 'isLastStatement', target: 'idle', actions: 'runNextStatement' },
            { actions: 'runNextStatement' },
          ],
          CRASH: { target: 'crashed', actions: 'crash' },
        },
      },
      crashed: { type: 'final' },
    },
  });
}

export type LedgerWriteModel = ReturnType<typeof createLedgerWriteModel>;

/** Every event instance worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(config: LedgerWriteConfig): LedgerWriteEvent[] {
  return [
    { type: 'PAY' },
    { type: 'AUTHORISE' },
    ...config.captureAmountsMinor.map((amountMinor) => ({ type: 'CAPTURE' as const, amountMinor })),
    { type: 'VOID' },
    ...config.refundAmountsMinor.map((amountMinor) => ({ type: 'REFUND' as const, amountMinor })),
    { type: 'NEXT_STATEMENT' },
    { type: 'CRASH' },
  ];
}
