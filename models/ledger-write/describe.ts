/**
 * The ledger-write model's steps in the domain's words, for text traces: what a student
 * reads when 2.4 fails, and what the answer key prints.
 */
import { describeStatement, type LedgerWriteContext, type LedgerWriteEvent, type Statement } from './machine.ts';

type Snapshot = { context: LedgerWriteContext };

const dollars = (minor: number) => `$${(minor / 100).toFixed(2)}`;

/** The statements a ledger transaction is written with, as the student would type them. */
const statementsOf = (context: LedgerWriteContext) =>
  (context.writing?.statements ?? []).map((s: Statement) => describeStatement(s)).join('; ');

/** One line of a text trace. */
export function describeStep(event: LedgerWriteEvent, before: Snapshot, after: Snapshot): string {
  const written = `: the application will run ${statementsOf(after.context)}`;
  switch (event.type) {
    case 'PAY':
      return `Alice pays Bob ${dollars(paymentMinor(after))}${written}`;
    case 'AUTHORISE':
      return `Alice's card is authorised: her money goes on hold${written}`;
    case 'CAPTURE':
      return `the merchant captures ${dollars(event.amountMinor)} of the hold${written}`;
    case 'VOID':
      return `the hold is voided: Alice's money is released${written}`;
    case 'REFUND':
      return `Bob refunds ${dollars(event.amountMinor)} to Alice${written}`;
    case 'NEXT_STATEMENT': {
      const writing = before.context.writing!;
      const statement = writing.statements[writing.done]!;
      // In autocommit there is no COMMIT: each INSERT is durable the moment it returns.
      const commitsItself = statement.kind === 'INSERT' && !writing.statements.some((s) => s.kind === 'BEGIN');
      return `runs ${describeStatement(statement)}${commitsItself ? ' (in autocommit it commits by itself)' : ''}`;
    }
    case 'CRASH':
      return 'the process crashes; recovery rolls back what was not committed';
  }
}

/** The payment's amount: what its credit leg moves. */
function paymentMinor({ context }: Snapshot): number {
  const insert = context.writing?.statements.find((s) => s.kind === 'INSERT' && s.entry.amountMinor > 0);
  return insert?.kind === 'INSERT' ? insert.entry.amountMinor : 0;
}

/** What the database holds durably: the rows that would survive a crash now. */
export function describeState({ context }: Snapshot): string {
  return `committed: ${context.committed.map((e) => `${e.account} ${e.amountMinor > 0 ? '+' : ''}${e.amountMinor}`).join(', ') || 'nothing'}`;
}
