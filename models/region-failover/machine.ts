/**
 * Failover of one account's writer between regions, with the account's data replicated to a
 * database replica in each of three regions: its home (the writer), its failover region, and a
 * third region.
 *
 * The writer is named by a lease in a lease store that is itself a replicated service: a
 * region reaches it only while it reaches a majority of the regions. A region may fail (down)
 * or be cut off (alive, still serving the clients that reach it, but reaching no other region
 * and so neither the lease store nor the other replicas). The control plane's health checks
 * cannot tell the two apart: when the writer is unreachable, the failover region is promoted
 * (the lease's epoch + 1). Nothing tells a cut-off region that this happened: it acts on what
 * it can see, its own belief and its own replica.
 *
 * A write is acknowledged to the client when the replication mode allows:
 *   asynchronous   once the writer's own replica has it; shipped to the others later.
 *   synchronous    once the writer's replica and the failover region's replica have it.
 *   quorum         once a majority of the replicas (2 of 3) have it; a promoted writer first
 *                  catches up from the replicas it reaches (a majority, so it sees every
 *                  acknowledged write). A consensus-replicated database (Spanner's Paxos
 *                  groups, CockroachDB's Raft ranges) behaves so: a write commits on a majority,
 *                  and a new leader holds every committed write.
 *
 * Writer fencing: a replica refuses a write carrying an epoch older than one it has seen.
 *   none                 replicas check nothing.
 *   local_epoch          the epoch is checked by the replicas the write goes to (with
 *                        asynchronous replication, only the writer's own).
 *   lease_bounded_drift  the writer holds a time-limited lease and stops writing when it sees
 *                        the lease expire; the store grants the lease again only after its own
 *                        clock says the lease expired plus the bound on clock drift, so the old
 *                        holder has stopped first (DDIA ch. 8, "Process Pauses").
 *   lease_unbounded_drift the same lease, but nothing bounds the holder's clock or pauses: the
 *                        store may grant the lease while the old holder still believes it valid.
 * Both lease kinds also carry the epoch, checked as local_epoch checks it (the lease's epoch is a
 * fencing token, DDIA ch. 8): a lease alone cannot stop a paused holder, the epoch check at the
 * replicas can, where the write must reach replicas other than the holder's own.
 */
import { assign, setup } from 'xstate';

export type Replication = 'asynchronous' | 'synchronous' | 'quorum';
export type WriterFencing = 'none' | 'local_epoch' | 'lease_bounded_drift' | 'lease_unbounded_drift';
export type RegionStatus = 'up' | 'down' | 'cut_off';

export interface RegionFailoverConfig {
  /** Home (writer), failover region, third region: each holds one replica of the account. */
  regions: readonly [string, string, string];
  replication: Replication;
  fencing: WriterFencing;
  /** Failures or cut-offs in one run. */
  maxRegionFailures: number;
  /** Writes a client sends in one run (each gets an id). */
  maxWrites: number;
}

export interface Replica {
  /** The highest writer epoch this replica has seen; it refuses writes with a lower one. */
  epoch: number;
  /** Ids of the writes it holds. */
  writes: number[];
}

export interface RegionFailoverContext {
  status: Record<string, RegionStatus>;
  failures: number;
  /** The lease store's view: who writes the account, at which epoch. */
  lease: { holder: string; epoch: number };
  /** Per region: the epoch at which it believes it writes the account (0: it does not). */
  believes: Record<string, number>;
  /** Per region: does it see its own writer lease as still valid (lease fencing only)? */
  leaseValidInOwnView: Record<string, boolean>;
  replicas: Record<string, Replica>;
  /** Writes acknowledged to the client, and by which region at which epoch. */
  acknowledged: { id: number; by: string; epoch: number }[];
  writesSent: number;
}

export type RegionFailoverEvent =
  | { type: 'REGION_FAILS'; region: string }
  | { type: 'REGION_CUT_OFF'; region: string }
  | { type: 'REGION_RECOVERS'; region: string }
  | { type: 'WRITE_ACKNOWLEDGED'; region: string }
  | { type: 'REPLICATION_DELIVERED'; to: string }
  | { type: 'HOLDER_SEES_LEASE_EXPIRE' }
  | { type: 'FAILOVER_REGION_PROMOTED' }
  | { type: 'REGION_LEARNS_LEASE'; region: string };

/** Can regions `a` and `b` talk? Both alive and neither cut off (a region always reaches itself). */
const connected = (c: RegionFailoverContext, a: string, b: string) =>
  a === b ? c.status[a] !== 'down' : c.status[a] === 'up' && c.status[b] === 'up';

/** The replicas region `from` reaches (its own included). */
const reachable = (c: RegionFailoverContext, config: RegionFailoverConfig, from: string) => config.regions.filter((r) => connected(c, from, r));

/** Does region `from` reach the lease store (a majority of the regions)? */
export const reachesLeaseStore = (c: RegionFailoverContext, config: RegionFailoverConfig, from: string) => reachable(c, config, from).length * 2 > config.regions.length;

/** The replicas a write of `region` must reach before it is acknowledged, or undefined if it cannot be. */
function replicasForAck(c: RegionFailoverContext, config: RegionFailoverConfig, region: string): string[] | undefined {
  const epoch = c.believes[region]!;
  const checksEpoch = config.fencing !== 'none';
  const accepts = (r: string) => !checksEpoch || c.replicas[r]!.epoch <= epoch;
  const live = reachable(c, config, region).filter(accepts);
  const [, failover] = config.regions;
  switch (config.replication) {
    case 'asynchronous':
      return live.includes(region) ? [region] : undefined;
    case 'synchronous': {
      // The writer's synchronous partner: the failover region, or for the promoted failover
      // region the third one (a dead home would otherwise block every write).
      const partner = region === failover ? config.regions[2] : failover;
      return live.includes(region) && live.includes(partner) ? [region, partner] : undefined;
    }
    case 'quorum':
      return live.length * 2 > config.regions.length ? live : undefined;
  }
}

/** May `region` acknowledge a write right now, from what it can see? */
export function canAcknowledge(c: RegionFailoverContext, config: RegionFailoverConfig, region: string): boolean {
  if (c.status[region] === 'down' || c.believes[region] === 0) return false;
  if (config.fencing.startsWith('lease') && !c.leaseValidInOwnView[region]) return false;
  return replicasForAck(c, config, region) !== undefined;
}

/** The regions that may acknowledge a write right now. */
export const writersOf = (c: RegionFailoverContext, config: RegionFailoverConfig) => config.regions.filter((r) => canAcknowledge(c, config, r));

export function createRegionFailoverModel(config: RegionFailoverConfig) {
  const [home, failover] = config.regions;
  const regionOf = (event: RegionFailoverEvent) => ('region' in event ? event.region : 'to' in event ? event.to : '');
  const usesLease = config.fencing.startsWith('lease');
  return setup({
    types: { context: {} as RegionFailoverContext, events: {} as RegionFailoverEvent },
    guards: {
      failureBudgetLeft: ({ context, event }) => context.failures < config.maxRegionFailures && context.status[regionOf(event)] === 'up',
      regionNotUp: ({ context, event }) => context.status[regionOf(event)] !== 'up',
      mayAcknowledge: ({ context, event }) => context.writesSent < config.maxWrites && canAcknowledge(context, config, regionOf(event)),
      // Asynchronous shipping from the current writer's replica to a replica it reaches.
      somethingToShip: ({ context, event }) => {
        const to = regionOf(event);
        const from = context.lease.holder;
        if (to === from || !connected(context, from, to)) return false;
        const source = context.replicas[from]!;
        const target = context.replicas[to]!;
        return (config.fencing === 'none' || target.epoch <= source.epoch) && source.writes.some((w) => !target.writes.includes(w));
      },
      // The holder stops seeing its lease as valid once it cannot renew it (it cannot reach the store).
      holderLeaseLapses: ({ context }) => usesLease && context.leaseValidInOwnView[context.lease.holder]! && !reachesLeaseStore(context, config, context.lease.holder),
      // Health checks: the holder unreachable from the failover region, which reaches the store.
      // With bounded drift, the store's lease expires only after the holder saw its own expire.
      promotionAllowed: ({ context }) =>
        context.lease.holder === home &&
        context.status[home] !== 'up' &&
        context.status[failover] === 'up' &&
        reachesLeaseStore(context, config, failover) &&
        (config.fencing !== 'lease_bounded_drift' || !context.leaseValidInOwnView[home]),
      beliefStale: ({ context, event }) => {
        const region = regionOf(event);
        if (context.status[region] !== 'up' || !reachesLeaseStore(context, config, region)) return false;
        const lease = context.lease;
        return lease.holder === region ? context.believes[region] !== lease.epoch : context.believes[region] !== 0;
      },
    },
    actions: {
      failRegion: assign(({ context, event }) => ({ status: { ...context.status, [regionOf(event)]: 'down' as const }, failures: context.failures + 1 })),
      cutOffRegion: assign(({ context, event }) => ({ status: { ...context.status, [regionOf(event)]: 'cut_off' as const }, failures: context.failures + 1 })),
      recoverRegion: assign(({ context, event }) => ({ status: { ...context.status, [regionOf(event)]: 'up' as const } })),
      acknowledgeWrite: assign(({ context, event }) => {
        const region = regionOf(event);
        const id = context.writesSent + 1;
        const epoch = context.believes[region]!;
        const replicas = { ...context.replicas };
        for (const r of replicasForAck(context, config, region)!) replicas[r] = { epoch: Math.max(replicas[r]!.epoch, epoch), writes: [...replicas[r]!.writes, id] };
        return { replicas, writesSent: id, acknowledged: [...context.acknowledged, { id, by: region, epoch }] };
      }),
      shipWrites: assign(({ context, event }) => {
        const to = regionOf(event);
        const source = context.replicas[context.lease.holder]!;
        const target = context.replicas[to]!;
        const writes = [...target.writes, ...source.writes.filter((w) => !target.writes.includes(w))].sort((a, b) => a - b);
        return { replicas: { ...context.replicas, [to]: { epoch: Math.max(target.epoch, source.epoch), writes } } };
      }),
      lapseHolderLease: assign(({ context }) => ({ leaseValidInOwnView: { ...context.leaseValidInOwnView, [context.lease.holder]: false } })),
      promoteFailoverRegion: assign(({ context }) => {
        const epoch = context.lease.epoch + 1;
        const replicas = { ...context.replicas };
        // The new writer raises the epoch on the replicas it reaches; with quorum replication
        // it first catches up on every write they hold.
        const reached = reachable(context, config, failover);
        const caughtUp = config.replication === 'quorum' ? [...new Set(reached.flatMap((r) => replicas[r]!.writes))].sort((a, b) => a - b) : replicas[failover]!.writes;
        for (const r of reached) replicas[r] = { epoch: Math.max(replicas[r]!.epoch, epoch), writes: r === failover ? caughtUp : replicas[r]!.writes };
        return {
          lease: { holder: failover, epoch },
          believes: { ...context.believes, [failover]: epoch },
          leaseValidInOwnView: { ...context.leaseValidInOwnView, [failover]: true },
          replicas,
        };
      }),
      learnLease: assign(({ context, event }) => {
        const region = regionOf(event);
        const mine = context.lease.holder === region;
        return {
          believes: { ...context.believes, [region]: mine ? context.lease.epoch : 0 },
          leaseValidInOwnView: { ...context.leaseValidInOwnView, [region]: mine },
        };
      }),
    },
  }).createMachine({
    id: 'regionFailover',
    context: {
      status: Object.fromEntries(config.regions.map((r) => [r, 'up' as const])),
      failures: 0,
      lease: { holder: home, epoch: 1 },
      believes: Object.fromEntries(config.regions.map((r) => [r, r === home ? 1 : 0])),
      leaseValidInOwnView: Object.fromEntries(config.regions.map((r) => [r, r === home])),
      replicas: Object.fromEntries(config.regions.map((r) => [r, { epoch: 1, writes: [] as number[] }])),
      acknowledged: [],
      writesSent: 0,
    },
    initial: 'serving',
    states: {
      serving: {
        on: {
          REGION_FAILS: { guard: 'failureBudgetLeft', actions: 'failRegion' },
          REGION_CUT_OFF: { guard: 'failureBudgetLeft', actions: 'cutOffRegion' },
          REGION_RECOVERS: { guard: 'regionNotUp', actions: 'recoverRegion' },
          WRITE_ACKNOWLEDGED: { guard: 'mayAcknowledge', actions: 'acknowledgeWrite' },
          REPLICATION_DELIVERED: { guard: 'somethingToShip', actions: 'shipWrites' },
          HOLDER_SEES_LEASE_EXPIRE: { guard: 'holderLeaseLapses', actions: 'lapseHolderLease' },
          FAILOVER_REGION_PROMOTED: { guard: 'promotionAllowed', actions: 'promoteFailoverRegion' },
          REGION_LEARNS_LEASE: { guard: 'beliefStale', actions: 'learnLease' },
        },
      },
    },
  });
}

export type RegionFailoverModel = ReturnType<typeof createRegionFailoverModel>;
export type RegionFailoverSnapshot = { context: RegionFailoverContext };

/** Every event instance worth trying; the explorer skips the disabled ones. */
export function candidateEvents(config: RegionFailoverConfig): RegionFailoverEvent[] {
  return [
    ...config.regions.flatMap((region) => [
      { type: 'REGION_FAILS' as const, region },
      { type: 'REGION_CUT_OFF' as const, region },
      { type: 'REGION_RECOVERS' as const, region },
      { type: 'WRITE_ACKNOWLEDGED' as const, region },
      { type: 'REPLICATION_DELIVERED' as const, to: region },
      { type: 'REGION_LEARNS_LEASE' as const, region },
    ]),
    { type: 'HOLDER_SEES_LEASE_EXPIRE' },
    { type: 'FAILOVER_REGION_PROMOTED' },
  ];
}

/** An account homed in US-East, failing over to US-West, with a third replica in EU-West. */
export const scenarioConfig: RegionFailoverConfig = {
  regions: ['us-east', 'us-west', 'eu-west'],
  replication: 'quorum',
  fencing: 'local_epoch',
  maxRegionFailures: 1,
  maxWrites: 2,
};
