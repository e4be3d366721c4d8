/** The ledger-write model at the configurations the chapter checks, for `npm run bench`. */
import { writeModes } from './crash-points.ts';
import { exploreWrite } from './check-crash.ts';

export const benchModels = writeModes.flatMap((mode) =>
  (['single-phase', 'hold'] as const).map((posting) => ({
    model: 'ledger-write',
    config: `${mode}, ${posting}`,
    run: () => exploreWrite(mode, posting).figures,
  })),
);
