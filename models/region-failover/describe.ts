/** The failover model's steps and states in words, for text traces. */
import { writersOf, type RegionFailoverConfig, type RegionFailoverEvent, type RegionFailoverSnapshot } from './machine.ts';

/** One line of a text trace. */
export const describeFailoverStep =
  (config: RegionFailoverConfig) =>
  (event: RegionFailoverEvent, before: RegionFailoverSnapshot, after: RegionFailoverSnapshot): string => {
    switch (event.type) {
      case 'REGION_FAILS':
        return `region ${event.region} fails`;
      case 'REGION_CUT_OFF':
        return `region ${event.region} is cut off from the other regions (alive, still serving its clients)`;
      case 'REGION_RECOVERS':
        return `region ${event.region} is back, believing what it believed before`;
      case 'WRITE_ACKNOWLEDGED': {
        const w = after.context.acknowledged.at(-1)!;
        return `${event.region} acknowledges payment #${w.id} to the client (writer epoch ${w.epoch})`;
      }
      case 'REPLICATION_DELIVERED':
        return `replication delivers the writer's payments to the replica in ${event.to}`;
      case 'HOLDER_SEES_LEASE_EXPIRE':
        return `${before.context.lease.holder} sees its writer lease expire (it could not renew it)`;
      case 'FAILOVER_REGION_PROMOTED':
        return `health checks cannot reach ${config.regions[0]}: the lease store promotes ${config.regions[1]} (epoch ${after.context.lease.epoch})`;
      case 'REGION_LEARNS_LEASE':
        return `region ${event.region} reads the lease store again`;
    }
  };

/** Who can acknowledge writes, and what each replica holds: the state line of a trace. */
export const describeFailoverState =
  (config: RegionFailoverConfig) =>
  ({ context: c }: RegionFailoverSnapshot): string => {
    const held = config.regions.map((r) => `${r} [${c.replicas[r]!.writes.map((w) => `#${w}`).join(' ') || '-'}]${c.status[r] === 'up' ? '' : ` (${c.status[r]})`}`).join(', ');
    return `writer per lease store: ${c.lease.holder}; can acknowledge: ${writersOf(c, config).join(' + ') || 'none'}; acknowledged: ${c.acknowledged.map((w) => `#${w.id}`).join(' ') || 'none'}; replicas: ${held}`;
  };
