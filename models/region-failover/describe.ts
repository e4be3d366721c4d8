/** The failover model's steps and states in words, for text traces. */
import { writersOf, type RegionFailoverConfig, type RegionFailoverEvent, type RegionFailoverSnapshot } from './machine.ts';

/** One line of a text trace. */
export function describeFailoverStep(event: RegionFailoverEvent): string {
  switch (event.type) {
    case 'REGION_FAILS':
      return `region ${event.region} fails`;
    case 'REGION_ISOLATED':
      return `region ${event.region} is cut off from the others (alive, still serving its clients)`;
    case 'REGION_RECOVERS':
      return `region ${event.region} is back, believing what it believed before`;
    case 'WRITER_PROMOTED':
      return `health checks see the writer of ${event.account} unreachable: the other region is promoted`;
    case 'REGION_LEARNS_LEASES':
      return `region ${event.region} reads the leases again`;
  }
}

/** Who may write each account: the state line of a trace (the config names the accounts). */
export const describeFailoverState =
  (config: RegionFailoverConfig) =>
  ({ context }: RegionFailoverSnapshot): string =>
    config.accounts.map((a) => `${a.id}: writers ${writersOf(context, config, a.id).join(' + ') || 'none'}`).join('; ');
