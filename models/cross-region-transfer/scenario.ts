/**
 * Chapter 4's scenario figures: the one place each is written. The transfer models' scenario
 * configs, the checks, the answer key and the chapter's text all read them from here; a
 * cohort's variant file (tools/variant.ts) may override any of them. They sit with the
 * cross-region transfer, the model that holds the scenario's money.
 */
import { scenario } from '../../tools/variant.ts';

export const highAvailabilityScenario = scenario('04-high-availability', {
  /** The platform's yearly volume, in trillions of dollars (the text only). */
  annualVolumeTrillionsUsd: 1,
  /** The countries it operates in (the text only). */
  countries: 42,
  /** The region that writes the largest share today. */
  largestRegion: 'US-East',
  /** The share of all transactions that a database failure in that region stops today. */
  largestRegionSharePercent: 40,
  /** The availability to design for, in percent. */
  availabilityTargetPercent: 99.999,
  /** The cross-border payer's balance before the transfer, in minor units. */
  payerBalanceMinor: 50_000,
  /** The cross-border transfer, in minor units. */
  transferAmountMinor: 25_000,
});
