/** The explorations `npm run bench` times for chapter 3: the model at each config the key uses. */
import { explore } from '../../tools/explore/explore.ts';
import { candidateEvents, createWebhookDeliveryModel, scenarioConfig } from '../../models/webhook-delivery/machine.ts';
import { webhookInvariants } from './invariants.ts';
import { dedupConfig, discardConfig, pastDeadlineConfig, shrinkingConfig } from './analysis.ts';
import { atomicSteps, createHandlerStepsModel, handlerStepEvents, handlerStepsBounds } from '../../models/webhook-delivery/handler-steps.ts';
import { handlerInvariants } from './handler-atomicity.ts';

const configs = {
  'naive handler': scenarioConfig,
  'deduplicating handler': dedupConfig,
  'schedule past 72 h': pastDeadlineConfig,
  'shrinking schedule': shrinkingConfig,
  'event discarded': discardConfig,
  'deduplicating handler, 3 replays': { ...dedupConfig, maxReplays: 3 },
};

export const benchModels = [
  ...Object.entries(configs).map(([config, value]) => ({
    model: 'webhook-delivery',
    config,
    run: () =>
      explore(createWebhookDeliveryModel(value), { events: candidateEvents, invariants: webhookInvariants, stopAtFirstViolation: false }).figures,
  })),
  {
    model: 'webhook-delivery (handler steps)',
    config: 'one transaction and an outbox, 2 crashes, 1 lost 2xx',
    run: () =>
      explore(createHandlerStepsModel({ steps: atomicSteps, ...handlerStepsBounds }), { events: handlerStepEvents, invariants: handlerInvariants, stopAtFirstViolation: false }).figures,
  },
];
