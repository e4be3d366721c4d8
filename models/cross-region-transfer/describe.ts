/** The transfer models' steps in the domain's words: text traces and sequence diagrams. */
import type { SequenceItem } from '../../tools/render/sequence.ts';
import { inFlight, type Balances } from './ledger.ts';
import { actionOf, type SagaConfig, type SagaContext, type SagaEvent } from './saga.ts';
import type { TwoPhaseTransferContext, TwoPhaseTransferEvent } from './two-phase.ts';

const money = (b: Balances) => `payer ${b.payer}, US transit ${b.usTransit}, EU transit ${b.euTransit}, payee ${b.payee} (in flight ${inFlight(b)})`;
const regionName = { us: 'US', eu: 'EU' } as const;

export function describeSagaStep(config: SagaConfig) {
  return (event: SagaEvent, before: { context: SagaContext }, after: { context: SagaContext }): string => {
    const b = before.context;
    const a = after.context;
    switch (event.type) {
      case 'STEP_REQUEST_SENT':
        return `orchestrator sends step ${a.request} (${actionOf(a.request!, config) ?? 'nothing'})${b.outcomes[a.request!] ? ' again' : ''}`;
      case 'STEP_COMMITTED':
        return b.outcomes[b.request!] ? `region answers step ${b.request} from its record (not run twice)` : `region commits ${actionOf(b.request!, config)} as one local transaction`;
      case 'STEP_REFUSED':
        return `region refuses ${actionOf(b.request!, config)}`;
      case 'STEP_REPLY_RECEIVED':
        return `orchestrator logs ${b.reply!.id} ${b.reply!.outcome} → ${a.log.phase}${a.log.phase === 'forward' || a.log.phase === 'compensating' ? ` step ${a.log.step}` : ''}`;
      case 'ORCHESTRATOR_CRASHES':
        return 'orchestrator crashes (its log survives)';
      case 'ORCHESTRATOR_RECOVERS':
        return 'orchestrator recovers and resumes from its log';
      case 'PARTITION_STARTS':
        return 'the US–EU link is partitioned (messages on it are lost)';
      case 'PARTITION_HEALS':
        return 'the US–EU link heals';
    }
  };
}

export const describeSagaState = ({ context }: { context: SagaContext }) => money(context.balances);

export function sagaSequence(config: SagaConfig) {
  return (event: SagaEvent, before: { context: SagaContext }, after: { context: SagaContext }): SequenceItem[] => {
    const b = before.context;
    const a = after.context;
    const regionOfId = (id: string) => (actionOf(id as never, config)?.includes('payee') ? 'EU' : 'US');
    switch (event.type) {
      case 'STEP_REQUEST_SENT':
        return [{ kind: 'message', from: 'Orchestrator', to: regionOfId(a.request!), text: `${a.request}: ${actionOf(a.request!, config)}`, style: 'async' }];
      case 'STEP_COMMITTED':
        return [
          { kind: 'note', over: [regionOfId(b.request!)], text: b.outcomes[b.request!] ? 'duplicate: answered from record' : `commit: ${money(a.balances)}` },
        ];
      case 'STEP_REFUSED':
        return [{ kind: 'note', over: [regionOfId(b.request!)], text: `refuses ${actionOf(b.request!, config)}` }];
      case 'STEP_REPLY_RECEIVED':
        return [{ kind: 'message', from: regionOfId(b.reply!.id), to: 'Orchestrator', text: `${b.reply!.id} ${b.reply!.outcome} → log ${a.log.phase}`, style: 'reply' }];
      case 'ORCHESTRATOR_CRASHES':
        return [{ kind: 'note', over: ['Orchestrator'], text: 'crash (log survives)' }];
      case 'ORCHESTRATOR_RECOVERS':
        return [{ kind: 'note', over: ['Orchestrator'], text: 'recovers from its log' }];
      case 'PARTITION_STARTS':
        return [{ kind: 'note', over: ['US', 'EU'], text: 'link partitioned' }];
      case 'PARTITION_HEALS':
        return [{ kind: 'note', over: ['US', 'EU'], text: 'link heals' }];
    }
  };
}

export function describeTwoPhaseStep(event: TwoPhaseTransferEvent, _before: { context: TwoPhaseTransferContext }, after: { context: TwoPhaseTransferContext }): string {
  const region = 'region' in event ? regionName[event.region] : '';
  switch (event.type) {
    case 'PREPARE_SENT':
      return 'coordinator (US) asks both regions to prepare';
    case 'PARTICIPANT_PREPARES':
      return `${region} prepares: locks its account, votes yes (now it may neither commit nor abort on its own)`;
    case 'PARTICIPANT_REFUSES':
      return `${region} votes no and aborts`;
    case 'VOTE_RECEIVED':
      return `coordinator receives ${region}'s vote`;
    case 'COORDINATOR_DECIDES_COMMIT':
      return 'coordinator logs COMMIT';
    case 'COORDINATOR_DECIDES_ABORT':
      return 'coordinator logs ABORT';
    case 'PARTICIPANT_COMMITS':
      return `${region} learns COMMIT, commits its local transaction, releases its lock`;
    case 'PARTICIPANT_ABORTS':
      return `${region} learns ABORT, releases its lock`;
    case 'COORDINATOR_CRASHES':
      return after.context.coordinator.up ? 'the coordinator’s leader crashes; another replica carries on with the replicated log' : 'coordinator crashes';
    case 'COORDINATOR_RECOVERS':
      return 'coordinator recovers with its log';
    case 'PARTITION_STARTS':
      return 'the US–EU link is partitioned';
    case 'PARTITION_HEALS':
      return 'the US–EU link heals';
  }
  void after;
}

export function describeTwoPhaseState({ context }: { context: TwoPhaseTransferContext }): string {
  const locks = (['us', 'eu'] as const).filter((r) => context.locked[r]).map((r) => regionName[r]);
  return `US ${context.participants.us}, EU ${context.participants.eu}; coordinator ${context.coordinator.up ? 'up' : 'DOWN'}, decision ${context.coordinator.decision}; locks held: ${locks.join(', ') || 'none'}`;
}

export function twoPhaseSequence(event: TwoPhaseTransferEvent, before: { context: TwoPhaseTransferContext }, after: { context: TwoPhaseTransferContext }): SequenceItem[] {
  const region = 'region' in event ? regionName[event.region] : 'US';
  switch (event.type) {
    case 'PREPARE_SENT':
      return [
        { kind: 'message', from: 'Coordinator', to: 'US', text: 'PREPARE', style: 'async' },
        { kind: 'message', from: 'Coordinator', to: 'EU', text: 'PREPARE', style: 'async' },
      ];
    case 'PARTICIPANT_PREPARES':
      return [
        { kind: 'note', over: [region], text: 'lock account, vote yes' },
        { kind: 'message', from: region, to: 'Coordinator', text: 'YES', style: 'reply' },
      ];
    case 'PARTICIPANT_REFUSES':
      return [{ kind: 'message', from: region, to: 'Coordinator', text: 'NO', style: 'reply' }];
    case 'VOTE_RECEIVED':
      return [{ kind: 'note', over: ['Coordinator'], text: `${region} vote received` }];
    case 'COORDINATOR_DECIDES_COMMIT':
    case 'COORDINATOR_DECIDES_ABORT':
      return [{ kind: 'note', over: ['Coordinator'], text: `log ${after.context.coordinator.decision.toUpperCase()}` }];
    case 'PARTICIPANT_COMMITS':
    case 'PARTICIPANT_ABORTS':
      return [{ kind: 'message', from: 'Coordinator', to: region, text: `${after.context.coordinator.decision.toUpperCase()}: ${after.context.participants[event.region]}, lock released` }];
    case 'COORDINATOR_CRASHES':
      return [{ kind: 'note', over: ['Coordinator'], text: 'CRASH' }, ...(['us', 'eu'] as const).filter((r) => before.context.locked[r]).map((r) => ({ kind: 'note' as const, over: [regionName[r]], text: 'prepared, lock held: BLOCKED until the coordinator returns' }))];
    case 'COORDINATOR_RECOVERS':
      return [{ kind: 'note', over: ['Coordinator'], text: 'recovers with its log' }];
    case 'PARTITION_STARTS':
      return [{ kind: 'note', over: ['US', 'EU'], text: 'link partitioned' }];
    case 'PARTITION_HEALS':
      return [{ kind: 'note', over: ['US', 'EU'], text: 'link heals' }];
  }
}
