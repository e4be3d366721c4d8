/**
 * A cross-border payment by two-phase commit: a coordinator in the US region asks both
 * regions to prepare (the US locks the payer's account and checks funds; the EU locks the
 * payee's and checks it may receive), decides commit when both voted yes, and tells them;
 * each region then commits its local transaction (US: payer → US transit; EU: EU transit →
 * payee) and releases its lock. The decision is logged durably before it is sent.
 *
 * The coordinator may crash and (if `coordinatorRecovers`) come back; the link between the
 * regions may be partitioned and heal. Messages are flags that stay set once sent, as in
 * Lamport's TLA+ `TwoPhase` (see `models/two-phase-commit/`): a message once sent may be
 * received any number of times. A participant that voted yes may neither commit nor abort on
 * its own: it must hear the decision, holding its lock until then. That is 2PC's blocking.
 *
 * With `coordinator: 'replicated_consensus'` the coordinator's log is replicated by consensus
 * across regions (Gray and Lamport, "Consensus on Transaction Commit", ACM TODS 2006; Spanner's
 * coordinator is a Paxos group: Corbett et al., OSDI 2012): a crash of its leader loses no
 * decision, and another replica carries on at once. The model then keeps the coordinator up
 * through a crash; the cost, one consensus write across regions per decision, is latency, which
 * the model does not time. A partition still stalls a participant cut off from the coordinator
 * until the link heals, holding its lock: a stall, not the blocking on a crashed coordinator.
 */
import { assign, setup } from 'xstate';
import { apply, type Balances, type Region } from './ledger.ts';
import { initialBalances } from './saga.ts';
import { highAvailabilityScenario } from './scenario.ts';

export interface TwoPhaseTransferConfig {
  amountMinor: number;
  initial: Balances;
  payerMayLackFunds: boolean;
  payeeMayRefuse: boolean;
  maxCoordinatorCrashes: number;
  /** Does a crashed coordinator come back (with its log)? `false`: it is lost for good. */
  coordinatorRecovers: boolean;
  maxPartitions: number;
  /** One coordinator process, or one replicated by consensus across regions. */
  coordinator: 'single_node' | 'replicated_consensus';
}

export const twoPhaseScenario: TwoPhaseTransferConfig = {
  amountMinor: highAvailabilityScenario.transferAmountMinor,
  initial: initialBalances,
  payerMayLackFunds: true,
  payeeMayRefuse: true,
  maxCoordinatorCrashes: 1,
  coordinatorRecovers: true,
  maxPartitions: 1,
  coordinator: 'single_node',
};

export type ParticipantState = 'working' | 'prepared' | 'committed' | 'aborted';
export const regions: readonly Region[] = ['us', 'eu'];

export interface TwoPhaseTransferContext {
  balances: Balances;
  coordinator: { up: boolean; crashes: number; decision: 'none' | 'commit' | 'abort' };
  prepareSent: boolean;
  participants: Record<Region, ParticipantState>;
  /** Accounts locked by a prepared participant: the payer's in the US, the payee's in the EU. */
  locked: Record<Region, boolean>;
  /** Votes sent (stay in the network once sent). */
  votes: Record<Region, 'yes' | 'no' | null>;
  /** Votes the coordinator has received. */
  votesReceived: Record<Region, 'yes' | 'no' | null>;
  partitioned: boolean;
  partitions: number;
}

export type TwoPhaseTransferEvent =
  | { type: 'PREPARE_SENT' }
  | { type: 'PARTICIPANT_PREPARES'; region: Region }
  | { type: 'PARTICIPANT_REFUSES'; region: Region }
  | { type: 'VOTE_RECEIVED'; region: Region }
  | { type: 'COORDINATOR_DECIDES_COMMIT' }
  | { type: 'COORDINATOR_DECIDES_ABORT' }
  | { type: 'PARTICIPANT_COMMITS'; region: Region }
  | { type: 'PARTICIPANT_ABORTS'; region: Region }
  | { type: 'COORDINATOR_CRASHES' }
  | { type: 'COORDINATOR_RECOVERS' }
  | { type: 'PARTITION_STARTS' }
  | { type: 'PARTITION_HEALS' };

export const twoPhaseEvents: readonly TwoPhaseTransferEvent[] = [
  { type: 'PREPARE_SENT' },
  ...regions.flatMap((region) => [
    { type: 'PARTICIPANT_PREPARES' as const, region },
    { type: 'PARTICIPANT_REFUSES' as const, region },
    { type: 'VOTE_RECEIVED' as const, region },
    { type: 'PARTICIPANT_COMMITS' as const, region },
    { type: 'PARTICIPANT_ABORTS' as const, region },
  ]),
  { type: 'COORDINATOR_DECIDES_COMMIT' },
  { type: 'COORDINATOR_DECIDES_ABORT' },
  { type: 'COORDINATOR_CRASHES' },
  { type: 'COORDINATOR_RECOVERS' },
  { type: 'PARTITION_STARTS' },
  { type: 'PARTITION_HEALS' },
];

const regionOfEvent = (event: TwoPhaseTransferEvent): Region => ('region' in event ? event.region : 'us');

/** The coordinator runs in the US: the EU reaches it only over the inter-region link. */
export const reachesCoordinator = (context: TwoPhaseTransferContext, region: Region) =>
  context.coordinator.up && (region === 'us' || !context.partitioned);

/** Some participant has not yet committed or aborted. */
export const inProgress = (context: TwoPhaseTransferContext) =>
  regions.some((r) => context.participants[r] === 'working' || context.participants[r] === 'prepared');

/** The local transaction each region commits. */
const commitAction = { us: 'debit_payer_into_transit', eu: 'credit_payee_from_transit' } as const;

export function createTwoPhaseTransferModel(config: TwoPhaseTransferConfig) {
  const mayRefuse = (region: Region) => (region === 'us' ? config.payerMayLackFunds : config.payeeMayRefuse);
  const linkTo = (context: TwoPhaseTransferContext, region: Region) => region === 'us' || !context.partitioned;

  return setup({
    types: {
      context: {} as TwoPhaseTransferContext,
      events: {} as TwoPhaseTransferEvent,
    },
    guards: {
      coordinatorMayAskToPrepare: ({ context }) => context.coordinator.up && !context.prepareSent,
      participantMayVote: ({ context, event }) => {
        const region = regionOfEvent(event);
        return context.prepareSent && context.participants[region] === 'working' && linkTo(context, region);
      },
      participantMayRefuse: ({ context, event }) => {
        const region = regionOfEvent(event);
        return context.prepareSent && context.participants[region] === 'working' && linkTo(context, region) && mayRefuse(region);
      },
      voteDeliverable: ({ context, event }) => {
        const region = regionOfEvent(event);
        return context.votes[region] !== null && context.votesReceived[region] === null && reachesCoordinator(context, region);
      },
      bothVotedYes: ({ context }) =>
        context.coordinator.up && context.coordinator.decision === 'none' && regions.every((r) => context.votesReceived[r] === 'yes'),
      // Undecided, the coordinator may abort at any time (a no vote, or a timeout waiting for votes).
      coordinatorUndecided: ({ context }) => context.coordinator.up && context.coordinator.decision === 'none',
      commitDecisionReaches: ({ context, event }) => {
        const region = regionOfEvent(event);
        return context.coordinator.decision === 'commit' && context.participants[region] === 'prepared' && reachesCoordinator(context, region);
      },
      abortDecisionReaches: ({ context, event }) => {
        const region = regionOfEvent(event);
        return (
          context.coordinator.decision === 'abort' &&
          (context.participants[region] === 'prepared' || context.participants[region] === 'working') &&
          reachesCoordinator(context, region)
        );
      },
      // Faults strike while the transfer is in progress (afterwards they change nothing).
      coordinatorMayCrash: ({ context }) =>
        context.coordinator.up && context.coordinator.crashes < config.maxCoordinatorCrashes && inProgress(context),
      coordinatorMayRecover: ({ context }) => !context.coordinator.up && config.coordinatorRecovers,
      linkMayFail: ({ context }) => !context.partitioned && context.partitions < config.maxPartitions && inProgress(context),
      linkDown: ({ context }) => context.partitioned,
    },
    actions: {
      askToPrepare: assign({ prepareSent: true }),
      // Voting yes: lock the account, check it, and promise to commit if told to.
      prepareAndLock: assign(({ context, event }) => {
        const region = regionOfEvent(event);
        return {
          participants: { ...context.participants, [region]: 'prepared' as const },
          locked: { ...context.locked, [region]: true },
          votes: { ...context.votes, [region]: 'yes' as const },
        };
      }),
      voteNo: assign(({ context, event }) => {
        const region = regionOfEvent(event);
        return { participants: { ...context.participants, [region]: 'aborted' as const }, votes: { ...context.votes, [region]: 'no' as const } };
      }),
      recordVote: assign(({ context, event }) => {
        const region = regionOfEvent(event);
        return { votesReceived: { ...context.votesReceived, [region]: context.votes[region] } };
      }),
      logCommit: assign(({ context }) => ({ coordinator: { ...context.coordinator, decision: 'commit' as const } })),
      logAbort: assign(({ context }) => ({ coordinator: { ...context.coordinator, decision: 'abort' as const } })),
      commitLocally: assign(({ context, event }) => {
        const region = regionOfEvent(event);
        return {
          participants: { ...context.participants, [region]: 'committed' as const },
          locked: { ...context.locked, [region]: false },
          balances: apply(context.balances, commitAction[region], config.amountMinor),
        };
      }),
      abortLocally: assign(({ context, event }) => {
        const region = regionOfEvent(event);
        return { participants: { ...context.participants, [region]: 'aborted' as const }, locked: { ...context.locked, [region]: false } };
      }),
      // A replicated coordinator loses its leader, and another replica carries on with the log.
      crashCoordinator: assign(({ context }) => ({
        coordinator: { ...context.coordinator, up: config.coordinator === 'replicated_consensus', crashes: context.coordinator.crashes + 1 },
      })),
      recoverCoordinator: assign(({ context }) => ({ coordinator: { ...context.coordinator, up: true } })),
      cutLink: assign(({ context }) => ({ partitioned: true, partitions: context.partitions + 1 })),
      healLink: assign({ partitioned: false }),
    },
  }).createMachine({
    id: 'twoPhaseTransfer',
    context: {
      balances: config.initial,
      coordinator: { up: true, crashes: 0, decision: 'none' },
      prepareSent: false,
      participants: { us: 'working', eu: 'working' },
      locked: { us: false, eu: false },
      votes: { us: null, eu: null },
      votesReceived: { us: null, eu: null },
      partitioned: false,
      partitions: 0,
    },
    initial: 'running',
    states: {
      running: {
        on: {
          PREPARE_SENT: { guard: 'coordinatorMayAskToPrepare', actions: 'askToPrepare' },
          PARTICIPANT_PREPARES: { guard: 'participantMayVote', actions: 'prepareAndLock' },
          PARTICIPANT_REFUSES: { guard: 'participantMayRefuse', actions: 'voteNo' },
          VOTE_RECEIVED: { guard: 'voteDeliverable', actions: 'recordVote' },
          COORDINATOR_DECIDES_COMMIT: { guard: 'bothVotedYes', actions: 'logCommit' },
          COORDINATOR_DECIDES_ABORT: { guard: 'coordinatorUndecided', actions: 'logAbort' },
          PARTICIPANT_COMMITS: { guard: 'commitDecisionReaches', actions: 'commitLocally' },
          PARTICIPANT_ABORTS: { guard: 'abortDecisionReaches', actions: 'abortLocally' },
          COORDINATOR_CRASHES: { guard: 'coordinatorMayCrash', actions: 'crashCoordinator' },
          COORDINATOR_RECOVERS: { guard: 'coordinatorMayRecover', actions: 'recoverCoordinator' },
          PARTITION_STARTS: { guard: 'linkMayFail', actions: 'cutLink' },
          PARTITION_HEALS: { guard: 'linkDown', actions: 'healLink' },
        },
      },
    },
  });
}

export type TwoPhaseTransferModel = ReturnType<typeof createTwoPhaseTransferModel>;
export type TwoPhaseSnapshot = { context: TwoPhaseTransferContext };

/**
 * Participants that voted yes and hold their lock while their coordinator is down: 2PC's
 * blocking. (One cut off by a partition from a live coordinator waits too, until the link heals:
 * a stall that every protocol across the partition has, the saga included.)
 */
export const blockedParticipants = (context: TwoPhaseTransferContext): Region[] =>
  regions.filter((r) => context.participants[r] === 'prepared' && context.locked[r] && !context.coordinator.up);
