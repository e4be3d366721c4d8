/** The explorations `npm run bench` times for chapter 4: each model at the configs the key uses. */
import { explore } from '../../tools/explore/explore.ts';
import { candidateEvents as failoverEvents, createRegionFailoverModel, scenarioConfig as failoverScenario } from '../../models/region-failover/machine.ts';
import { createSagaTransferModel, sagaConfig, sagaEvents, uncompensatedPlan } from '../../models/cross-region-transfer/saga.ts';
import { createTwoPhaseTransferModel, twoPhaseEvents, twoPhaseScenario } from '../../models/cross-region-transfer/two-phase.ts';
import { candidateEvents as breakerEvents, createCircuitBreakerModel, exampleBreakerConfig } from '../../models/circuit-breaker/machine.ts';
import { candidateEvents as intentEvents, createPaymentIntentModel } from '../../models/payment-intent/machine.ts';
import { atMostOneSuccessfulCharge, breakerStepProperties, noAcknowledgedWriteLost, captureWithinAuthorised, halfOpenProbesBounded, moneyConserved, singleWriter, terminalStatusesAbsorb, twoPhaseNeverBlocks } from './invariants.ts';
import { lifecycleConfigs } from './analysis.ts';

export const benchModels = [
  {
    model: 'region-failover',
    config: 'three replicas, quorum writes, epoch fencing, one failure',
    run: () =>
      explore(createRegionFailoverModel(failoverScenario), { events: () => failoverEvents(failoverScenario), invariants: [singleWriter(failoverScenario), noAcknowledgedWriteLost], stopAtFirstViolation: false }).figures,
  },
  {
    model: 'cross-region-transfer',
    config: 'saga, the example plan (no compensation)',
    run: () => explore(createSagaTransferModel(sagaConfig(uncompensatedPlan)), { events: () => sagaEvents, invariants: [moneyConserved(sagaConfig(uncompensatedPlan).initial)] }).figures,
  },
  {
    model: 'cross-region-transfer',
    config: '2PC, coordinator recovers',
    run: () =>
      explore(createTwoPhaseTransferModel(twoPhaseScenario), { events: () => twoPhaseEvents, invariants: [moneyConserved(twoPhaseScenario.initial), twoPhaseNeverBlocks], stopAtFirstViolation: false }).figures,
  },
  {
    model: 'circuit-breaker',
    config: 'the example breaker: 30 s window, 10 calls, 60 %, 2 probes',
    run: () => explore(createCircuitBreakerModel(exampleBreakerConfig), { events: breakerEvents, invariants: [halfOpenProbesBounded(exampleBreakerConfig)], stepProperties: breakerStepProperties(exampleBreakerConfig) }).figures,
  },
  {
    model: 'circuit-breaker',
    config: 'the largest the text allows: count window 100, minimum 100 calls, 10 probes',
    run: () => {
      const largest = { ...exampleBreakerConfig, windowKind: 'calls' as const, windowSize: 100, minimumCalls: 100, halfOpenProbes: 10 };
      return explore(createCircuitBreakerModel(largest), { events: breakerEvents, invariants: [halfOpenProbesBounded(largest)], stepProperties: breakerStepProperties(largest) }).figures;
    },
  },
  ...lifecycleConfigs.map(([name, config]) => ({
    model: 'payment-intent',
    config: name,
    run: () =>
      explore(createPaymentIntentModel(config), {
        events: (s) => intentEvents(s, config),
        invariants: [atMostOneSuccessfulCharge, captureWithinAuthorised],
        stepProperties: [terminalStatusesAbsorb],
      }).figures,
  })),
];
