/**
 * The crash points of Alice's payment, from the ledger-write model: the payment's
 * statements are run one by one, and after each (and before the first) the process is
 * crashed; what the model's durable ledger then holds is what survives.
 */
import { initialTransition, transition } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import {
  createLedgerWriteModel,
  describeStatement,
  scenarioConfig,
  type LedgerWriteEvent,
  type LedgerWriteModel,
  type WriteMode,
} from '../../models/ledger-write/machine.ts';
import type { Trace } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { describeState, describeStep } from '../../models/ledger-write/describe.ts';

export type CrashPoint = 'before the first INSERT' | 'after the first INSERT' | 'after the second INSERT' | 'after COMMIT';
export type Survivors = 'nothing' | "Alice's debit only" | "Bob's credit only" | 'both entries';

export const crashPoints: readonly CrashPoint[] = [
  'before the first INSERT',
  'after the first INSERT',
  'after the second INSERT',
  'after COMMIT',
];
export const writeModes: readonly WriteMode[] = ['autocommit', 'transaction'];

type Snapshot = SnapshotFrom<LedgerWriteModel>;

export interface CrashOutcome {
  mode: WriteMode;
  crashPoint: CrashPoint;
  /** The statements that had run when the process died. */
  statementsRun: string[];
  survivors: Survivors;
  /** The model's path: PAY, the statements, CRASH. */
  trace: Trace<Snapshot, LedgerWriteEvent>;
}

function survivorsOf(snapshot: Snapshot): Survivors {
  const payment = snapshot.context.committed.filter((e) => e.transaction === 'payment');
  const alice = payment.some((e) => e.account === 'alice');
  const bob = payment.some((e) => e.account === 'bob');
  return alice && bob ? 'both entries' : alice ? "Alice's debit only" : bob ? "Bob's credit only" : 'nothing';
}

/** How many of the payment's statements have run at a crash point, in a mode. */
function statementsBefore(mode: WriteMode, point: CrashPoint): number {
  // transaction: BEGIN, INSERT, INSERT, COMMIT; autocommit: INSERT, INSERT (each commits itself)
  const offset = mode === 'transaction' ? 1 : 0;
  switch (point) {
    case 'before the first INSERT':
      return offset;
    case 'after the first INSERT':
      return offset + 1;
    case 'after the second INSERT':
      return offset + 2;
    case 'after COMMIT':
      return mode === 'transaction' ? 4 : 2;
  }
}

/** Crash the model's payment at one point and read what survives. */
export function crashThePayment(mode: WriteMode, crashPoint: CrashPoint): CrashOutcome {
  const machine = createLedgerWriteModel(scenarioConfig(mode));
  const [initial] = initialTransition(machine);
  const trace: Trace<Snapshot, LedgerWriteEvent> = { initial, steps: [] };
  let snapshot: Snapshot = initial;
  const take = (event: LedgerWriteEvent) => {
    snapshot = transition(machine, snapshot, event)[0] as Snapshot;
    trace.steps.push({ event, snapshot });
  };
  take({ type: 'PAY' });
  const statements = snapshot.context.writing!.statements.map(describeStatement);
  const run = statementsBefore(mode, crashPoint);
  for (let i = 0; i < run; i++) take({ type: 'NEXT_STATEMENT' });
  take({ type: 'CRASH' });
  return { mode, crashPoint, statementsRun: statements.slice(0, run), survivors: survivorsOf(snapshot), trace };
}

/** Every mode × crash point. */
export const everyCrashOfThePayment = (): CrashOutcome[] =>
  writeModes.flatMap((mode) => crashPoints.map((point) => crashThePayment(mode, point)));

/** A path of the model as numbered lines: each step in words, and what is committed after it. */
export function formatWriteTrace(trace: Trace<Snapshot, LedgerWriteEvent>): string {
  return formatTrace(trace, { step: describeStep, state: describeState });
}

/** Every answer whatSurvivesACrash may give (the Survivors type, as values to check against). */
export const everySurvivors: readonly Survivors[] = ['nothing', "Alice's debit only", "Bob's credit only", 'both entries'];
