/** The explorations `npm run bench` times for chapter 1: the model at each config the key uses. */
import { explore } from '../../tools/explore/explore.ts';
import { candidateEvents, createIdempotencyModel, scenarioConfig } from '../../models/idempotency-store/machine.ts';
import { idempotencyInvariants } from './invariants.ts';
import { apiDesigns, changedBodyConfig, configOfDesign, keysOffConfig, recoveryConfig } from './analysis.ts';

const configs = {
  'scenario, keys on': scenarioConfig,
  'scenario, keys off': keysOffConfig,
  'changed parameters': changedBodyConfig,
  'crash + failures + lock timeout': recoveryConfig,
  'crash + failures + 2 retries': { ...recoveryConfig, retryDelaysSeconds: [5, 30] },
  ...Object.fromEntries(apiDesigns.map((design) => [`crash + lock timeout, ${design.replaceAll('_', ' ')}`, configOfDesign(design)])),
};

export const benchModels = Object.entries(configs).map(([config, value]) => ({
  model: 'idempotency-store',
  config,
  run: () =>
    explore(createIdempotencyModel(value), { events: candidateEvents, invariants: idempotencyInvariants, stopAtFirstViolation: false }).figures,
}));
