/**
 * Two-phase commit, as in Lamport's TLA+ spec `TwoPhase` (Gray & Lamport, "Consensus on
 * Transaction Commit"): one transaction manager (TM) and N resource managers (RMs).
 *
 * One flat machine: the whole protocol lives in context and every step of every process is a
 * guarded event, so that the explorer tries every interleaving. Messages are a set that only
 * grows (the spec's `msgs`): a message once sent may be received any number of times, by any
 * RM, in any order — which is how the spec models an unreliable, reordering network without
 * counting copies.
 *
 * Its reachable state space is the classic benchmark of model checkers (TLC reports 288,
 * 1,568, 8,832 and 50,816 distinct states for 3, 4, 5 and 6 RMs), which is why the explorer's
 * bench runs on it.
 */
import { assign, setup } from 'xstate';

export interface TwoPhaseConfig {
  /** How many resource managers take part (the spec's `RM`), numbered 0..N-1. */
  resourceManagers: number;
}

export type RmState = 'working' | 'prepared' | 'committed' | 'aborted';
export type TmState = 'init' | 'committed' | 'aborted';

export interface TwoPhaseContext {
  /** Each RM's state, indexed by RM number. */
  rmState: RmState[];
  tmState: TmState;
  /** RMs whose Prepared message the TM has received (the spec's `tmPrepared`), by RM number. */
  tmPrepared: boolean[];
  /** The messages ever sent (the spec's `msgs`): one Prepared per RM, one Commit, one Abort. */
  msgs: { prepared: boolean[]; commit: boolean; abort: boolean };
}

export type TwoPhaseEvent =
  | { type: 'RM_PREPARE'; rm: number }
  | { type: 'RM_CHOOSE_TO_ABORT'; rm: number }
  | { type: 'RM_RCV_COMMIT_MSG'; rm: number }
  | { type: 'RM_RCV_ABORT_MSG'; rm: number }
  | { type: 'TM_RCV_PREPARED'; rm: number }
  | { type: 'TM_COMMIT' }
  | { type: 'TM_ABORT' };

/** A copy of `array` with index `i` set to `value` (context is never mutated). */
function setAt<T>(array: readonly T[], i: number, value: T): T[] {
  const copy = array.slice();
  copy[i] = value;
  return copy;
}

/** The RM an event is about (every RM event carries one). */
const rmOf = (event: TwoPhaseEvent): number => ('rm' in event ? event.rm : -1);

export function createTwoPhaseCommitModel(config: TwoPhaseConfig) {
  const n = config.resourceManagers;
  return setup({
    types: {
      context: {} as TwoPhaseContext,
      events: {} as TwoPhaseEvent,
    },
    guards: {
      rmIsWorking: ({ context, event }) => context.rmState[rmOf(event)] === 'working',
      tmIsUndecided: ({ context }) => context.tmState === 'init',
      preparedMessageSent: ({ context, event }) =>
        context.tmState === 'init' && context.msgs.prepared[rmOf(event)] === true,
      everyRmPrepared: ({ context }) => context.tmState === 'init' && context.tmPrepared.every(Boolean),
      commitMessageSent: ({ context }) => context.msgs.commit,
      abortMessageSent: ({ context }) => context.msgs.abort,
    },
    actions: {
      // RMPrepare: a working RM prepares and tells the TM so.
      prepare: assign(({ context, event }) => ({
        rmState: setAt(context.rmState, rmOf(event), 'prepared'),
        msgs: { ...context.msgs, prepared: setAt(context.msgs.prepared, rmOf(event), true) },
      })),
      // RMChooseToAbort: a working RM may abort on its own, telling no one.
      chooseToAbort: assign(({ context, event }) => ({
        rmState: setAt(context.rmState, rmOf(event), 'aborted'),
      })),
      // TMRcvPrepared: the TM records the RM's Prepared message.
      recordPrepared: assign(({ context, event }) => ({
        tmPrepared: setAt(context.tmPrepared, rmOf(event), true),
      })),
      // TMCommit / TMAbort: the TM decides and broadcasts its decision.
      decideCommit: assign(({ context }) => ({
        tmState: 'committed' as const,
        msgs: { ...context.msgs, commit: true },
      })),
      decideAbort: assign(({ context }) => ({
        tmState: 'aborted' as const,
        msgs: { ...context.msgs, abort: true },
      })),
      // RMRcvCommitMsg / RMRcvAbortMsg: an RM learns the decision (any RM, any number of times).
      commit: assign(({ context, event }) => ({
        rmState: setAt(context.rmState, rmOf(event), 'committed'),
      })),
      abort: assign(({ context, event }) => ({
        rmState: setAt(context.rmState, rmOf(event), 'aborted'),
      })),
    },
  }).createMachine({
    id: 'twoPhaseCommit',
    context: {
      rmState: Array.from({ length: n }, () => 'working' as const),
      tmState: 'init',
      tmPrepared: Array.from({ length: n }, () => false),
      msgs: { prepared: Array.from({ length: n }, () => false), commit: false, abort: false },
    },
    initial: 'running',
    states: {
      running: {
        on: {
          RM_PREPARE: { guard: 'rmIsWorking', actions: 'prepare' },
          RM_CHOOSE_TO_ABORT: { guard: 'rmIsWorking', actions: 'chooseToAbort' },
          RM_RCV_COMMIT_MSG: { guard: 'commitMessageSent', actions: 'commit' },
          RM_RCV_ABORT_MSG: { guard: 'abortMessageSent', actions: 'abort' },
          TM_RCV_PREPARED: { guard: 'preparedMessageSent', actions: 'recordPrepared' },
          TM_COMMIT: { guard: 'everyRmPrepared', actions: 'decideCommit' },
          TM_ABORT: { guard: 'tmIsUndecided', actions: 'decideAbort' },
        },
      },
    },
  });
}

export type TwoPhaseCommitModel = ReturnType<typeof createTwoPhaseCommitModel>;

/** Every event instance worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(snapshot: { context: TwoPhaseContext }): TwoPhaseEvent[] {
  const events: TwoPhaseEvent[] = [{ type: 'TM_COMMIT' }, { type: 'TM_ABORT' }];
  for (let rm = 0; rm < snapshot.context.rmState.length; rm++) {
    events.push(
      { type: 'RM_PREPARE', rm },
      { type: 'RM_CHOOSE_TO_ABORT', rm },
      { type: 'RM_RCV_COMMIT_MSG', rm },
      { type: 'RM_RCV_ABORT_MSG', rm },
      { type: 'TM_RCV_PREPARED', rm },
    );
  }
  return events;
}

/** A named predicate every reachable state must satisfy (the explorer's `Invariant` shape). */
interface TwoPhaseInvariant {
  id: string;
  statement: string;
  task: string;
  holds: (snapshot: { context: TwoPhaseContext }) => boolean;
}

export const invariants: readonly TwoPhaseInvariant[] = [
  {
    id: '2PC-TC',
    statement: 'No resource manager has committed while another has aborted (TCConsistent).',
    task: 'bench',
    holds: ({ context }) => !(context.rmState.includes('committed') && context.rmState.includes('aborted')),
  },
  {
    id: '2PC-DECIDED',
    statement: 'A resource manager commits only after the transaction manager decided to commit.',
    task: 'bench',
    holds: ({ context }) => context.tmState === 'committed' || !context.rmState.includes('committed'),
  },
];

const letter: Record<RmState | TmState, string> = {
  init: 'i',
  working: 'w',
  prepared: 'p',
  committed: 'c',
  aborted: 'a',
};

/** One RM's part of the state: its own state, whether the TM has its Prepared, whether it sent one. */
function rmPart(context: TwoPhaseContext, rm: number): string {
  return letter[context.rmState[rm]!] + (context.tmPrepared[rm] ? '1' : '0') + (context.msgs.prepared[rm] ? '1' : '0');
}

/** The TM's part and the broadcast messages, which concern no RM in particular. */
function sharedPart(context: TwoPhaseContext): string {
  return letter[context.tmState] + (context.msgs.commit ? 'C' : '') + (context.msgs.abort ? 'A' : '');
}

/**
 * A canonical key much cheaper than `JSON.stringify` of the snapshot: the machine has one
 * state, so the key is the context alone, three characters per RM.
 */
export function stateKey(snapshot: { context: TwoPhaseContext }): string {
  const { context } = snapshot;
  let key = sharedPart(context) + '|';
  for (let rm = 0; rm < context.rmState.length; rm++) key += rmPart(context, rm);
  return key;
}

/**
 * The key of a state's symmetry class: RMs are interchangeable (no guard or action names a
 * particular RM, and no RM's part refers to another), so sorting the RMs' parts gives the same
 * key to the N! states that differ only by a renaming of RMs.
 */
export function symmetricStateKey(snapshot: { context: TwoPhaseContext }): string {
  const { context } = snapshot;
  const parts: string[] = [];
  for (let rm = 0; rm < context.rmState.length; rm++) parts.push(rmPart(context, rm));
  return sharedPart(context) + '|' + parts.sort().join('');
}
