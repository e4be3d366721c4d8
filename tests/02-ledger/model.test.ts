/**
 * The ledger-write model against its invariants: exhaustively over every crash point of
 * every configuration, and on random runs with fast-check.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { initialTransition, transition } from 'xstate';
import {
  candidateEvents,
  createLedgerWriteModel,
  scenarioConfig,
  type Posting,
  type WriteMode,
} from '../../models/ledger-write/machine.ts';
import { ledgerInvariants, ledgerStepProperties } from '../../specs/02-ledger/invariants.ts';
import { everyCrashOfThePayment, formatWriteTrace } from '../../specs/02-ledger/crash-points.ts';
import { exploreWrite as exploreConfig } from '../../specs/02-ledger/check-crash.ts';

const configs: [WriteMode, Posting][] = [
  ['transaction', 'single-phase'],
  ['transaction', 'hold'],
  ['autocommit', 'single-phase'],
  ['autocommit', 'hold'],
];

describe('the ledger write, at every crash point', () => {
  test.each(configs.filter(([mode]) => mode === 'transaction'))('inside a database transaction (%s, %s) every invariant holds', (mode, posting) => {
    const result = exploreConfig(mode, posting);
    expect(result.violations).toEqual([]);
    // Every write can crash before, between and after its statements: there are many points.
    expect(result.snapshots.filter((s) => s.value === 'crashed').length).toBeGreaterThan(10);
  });

  test.each(configs.filter(([mode]) => mode === 'autocommit'))('in autocommit (%s, %s) a crash after the first INSERT leaves a partial, unbalanced transaction', (mode, posting) => {
    const result = exploreConfig(mode, posting);
    const failed = Object.fromEntries(result.violations.map((v) => [v.property.id, v.trace.steps.map((s) => s.event.type)]));
    const first = posting === 'hold' ? 'AUTHORISE' : 'PAY';
    // The answer to 2.4, as the model's shortest counterexamples:
    expect(failed).toEqual({
      'LEDGER-1': [first, 'NEXT_STATEMENT'],
      'LEDGER-2': [first, 'NEXT_STATEMENT', 'CRASH'],
    });
    const trace = formatWriteTrace(result.violations.find((v) => v.property.id === 'LEDGER-2')!.trace);
    expect(trace).toContain('committed: alice -10000');
    expect(trace).toContain('the process crashes');
  });
});

test('the crash-point table: only autocommit ever leaves half a payment', () => {
  const table = everyCrashOfThePayment().map((o) => `${o.mode} ${o.crashPoint}: ${o.survivors}`);
  expect(table).toEqual([
    'autocommit before the first INSERT: nothing',
    "autocommit after the first INSERT: Alice's debit only",
    'autocommit after the second INSERT: both entries',
    'autocommit after COMMIT: both entries',
    'transaction before the first INSERT: nothing',
    'transaction after the first INSERT: nothing',
    'transaction after the second INSERT: nothing',
    'transaction after COMMIT: both entries',
  ]);
});

describe('random runs of the model (fast-check)', () => {
  const eventIndex = fc.array(fc.nat(), { maxLength: 30 });
  test('inside a transaction, any sequence of writes, captures, refunds and a crash keeps every invariant', () => {
    fc.assert(fc.property(fc.constantFrom<Posting>('single-phase', 'hold'), eventIndex, (posting, choices) => {
      const config = scenarioConfig('transaction', posting);
      const machine = createLedgerWriteModel(config);
      const events = candidateEvents(config);
      let [snapshot] = initialTransition(machine);
      for (const choice of choices) {
        const enabled = events.filter((e) => machine.getTransitionData(snapshot, e).length > 0);
        if (enabled.length === 0) break;
        const event = enabled[choice % enabled.length]!;
        const [next] = transition(machine, snapshot, event);
        for (const property of ledgerStepProperties) expect(property.holds(snapshot, event, next), property.id).toBe(true);
        snapshot = next;
        for (const invariant of ledgerInvariants) expect(invariant.holds(snapshot), invariant.id).toBe(true);
      }
    }));
  });
});
