/** The ledger-write model at the configurations the chapter checks, for `npm run bench`. */
import { explore } from '../../tools/explore/explore.ts';
import { candidateEvents, createLedgerWriteModel, scenarioConfig } from '../../models/ledger-write/machine.ts';
import { ledgerInvariants, ledgerStepProperties } from './invariants.ts';
import { writeModes } from './crash-points.ts';

export const benchModels = writeModes.flatMap((mode) =>
  (['single-phase', 'hold'] as const).map((posting) => ({
    model: 'ledger-write',
    config: `${mode}, ${posting}`,
    run: () => {
      const config = scenarioConfig(mode, posting);
      const events = candidateEvents(config);
      return explore(createLedgerWriteModel(config), {
        events: () => events,
        invariants: ledgerInvariants,
        stepProperties: ledgerStepProperties,
        stopAtFirstViolation: false,
      }).figures;
    },
  })),
);
