/**
 * Failover of account ownership between regions, in an active-active payments database where
 * every account has one writer region (its home) and a failover region.
 *
 * Who may write an account is a lease held in a coordination service that spans the regions
 * (a consensus group: it keeps working while a majority of regions can reach each other). The
 * lease carries an epoch that grows by one at each promotion. Each region also has its own
 * belief of which accounts it writes, and the epoch it got them at.
 *
 * A region may fail (down: serves nothing) or be isolated (alive, still serving the clients
 * that reach it, but cut off from the other regions and the coordination service); the
 * health checks that drive failover cannot tell the two apart. When an account's writer is
 * unreachable the control plane promotes the other region (epoch + 1). A region that comes
 * back still believes what it believed before, until it learns the lease again.
 *
 * With `fencing: 'epoch_fencing'` the database refuses a write whose epoch is not the lease's
 * current one, and a region cut off from the coordination service cannot write at all (it
 * cannot check its epoch); with `none`, a region writes whenever it believes it is the writer.
 * With `writes: 'any_region'` every region accepts writes for every account (multi-writer).
 */
import { assign, setup } from 'xstate';

export interface FailoverAccount {
  id: string;
  home: string;
  failoverTo: string;
}

export interface RegionFailoverConfig {
  regions: readonly string[];
  accounts: readonly FailoverAccount[];
  writes: 'home_region_only' | 'any_region';
  fencing: 'epoch_fencing' | 'none';
  /** Region failures or isolations in one run (each may be followed by recovery). */
  maxRegionFailures: number;
}

export type RegionStatus = 'up' | 'down' | 'isolated';

export interface Lease {
  holder: string;
  epoch: number;
}

export interface RegionFailoverContext {
  status: Record<string, RegionStatus>;
  failures: number;
  /** The coordination service's lease per account. */
  lease: Record<string, Lease>;
  /** Per region, per account: the epoch at which it believes it writes the account (absent: it does not). */
  beliefs: Record<string, Record<string, number>>;
}

export type RegionFailoverEvent =
  | { type: 'REGION_FAILS'; region: string }
  | { type: 'REGION_ISOLATED'; region: string }
  | { type: 'REGION_RECOVERS'; region: string }
  | { type: 'WRITER_PROMOTED'; account: string }
  | { type: 'REGION_LEARNS_LEASES'; region: string };

/** May region `region` accept a write for `account` right now? */
export function canWrite(context: RegionFailoverContext, config: RegionFailoverConfig, region: string, account: string): boolean {
  const status = context.status[region];
  if (status === 'down') return false;
  if (config.writes === 'any_region') return true;
  const epoch = context.beliefs[region]?.[account];
  if (epoch === undefined) return false;
  if (config.fencing === 'none') return true;
  return status === 'up' && epoch === context.lease[account]!.epoch;
}

/** The regions that may write an account right now. */
export const writersOf = (context: RegionFailoverContext, config: RegionFailoverConfig, account: string) =>
  config.regions.filter((region) => canWrite(context, config, region, account));

export function createRegionFailoverModel(config: RegionFailoverConfig) {
  const regionOf = (event: RegionFailoverEvent) => ('region' in event ? event.region : '');
  const accountOf = (event: RegionFailoverEvent) => config.accounts.find((a) => 'account' in event && a.id === event.account)!;
  /** Promotion moves the account to the other of its two regions. */
  const promotionTarget = (context: RegionFailoverContext, account: FailoverAccount) =>
    context.lease[account.id]!.holder === account.home ? account.failoverTo : account.home;

  return setup({
    types: {
      context: {} as RegionFailoverContext,
      events: {} as RegionFailoverEvent,
    },
    guards: {
      failureBudgetLeft: ({ context, event }) => context.failures < config.maxRegionFailures && context.status[regionOf(event)] === 'up',
      regionNotUp: ({ context, event }) => context.status[regionOf(event)] !== 'up',
      // Health checks see the writer unreachable (down or isolated alike) and the other region up.
      writerUnreachable: ({ context, event }) => {
        const account = accountOf(event);
        return context.status[context.lease[account.id]!.holder] !== 'up' && context.status[promotionTarget(context, account)] === 'up';
      },
      beliefsStale: ({ context, event }) => {
        const region = regionOf(event);
        if (context.status[region] !== 'up') return false;
        return config.accounts.some((a) => {
          const lease = context.lease[a.id]!;
          const believed = context.beliefs[region]![a.id];
          return lease.holder === region ? believed !== lease.epoch : believed !== undefined;
        });
      },
    },
    actions: {
      failRegion: assign(({ context, event }) => ({
        status: { ...context.status, [regionOf(event)]: 'down' as const },
        failures: context.failures + 1,
      })),
      isolateRegion: assign(({ context, event }) => ({
        status: { ...context.status, [regionOf(event)]: 'isolated' as const },
        failures: context.failures + 1,
      })),
      // Back with whatever it believed before: nothing tells it the lease moved.
      recoverRegion: assign(({ context, event }) => ({ status: { ...context.status, [regionOf(event)]: 'up' as const } })),
      promoteOtherRegion: assign(({ context, event }) => {
        const account = accountOf(event);
        const target = promotionTarget(context, account);
        const epoch = context.lease[account.id]!.epoch + 1;
        return {
          lease: { ...context.lease, [account.id]: { holder: target, epoch } },
          beliefs: { ...context.beliefs, [target]: { ...context.beliefs[target], [account.id]: epoch } },
        };
      }),
      adoptLeases: assign(({ context, event }) => {
        const region = regionOf(event);
        const mine: Record<string, number> = {};
        for (const a of config.accounts) if (context.lease[a.id]!.holder === region) mine[a.id] = context.lease[a.id]!.epoch;
        return { beliefs: { ...context.beliefs, [region]: mine } };
      }),
    },
  }).createMachine({
    id: 'regionFailover',
    context: {
      status: Object.fromEntries(config.regions.map((r) => [r, 'up' as const])),
      failures: 0,
      lease: Object.fromEntries(config.accounts.map((a) => [a.id, { holder: a.home, epoch: 1 }])),
      beliefs: Object.fromEntries(
        config.regions.map((r) => [r, Object.fromEntries(config.accounts.filter((a) => a.home === r).map((a) => [a.id, 1]))]),
      ),
    },
    initial: 'serving',
    states: {
      serving: {
        on: {
          REGION_FAILS: { guard: 'failureBudgetLeft', actions: 'failRegion' },
          REGION_ISOLATED: { guard: 'failureBudgetLeft', actions: 'isolateRegion' },
          REGION_RECOVERS: { guard: 'regionNotUp', actions: 'recoverRegion' },
          WRITER_PROMOTED: { guard: 'writerUnreachable', actions: 'promoteOtherRegion' },
          REGION_LEARNS_LEASES: { guard: 'beliefsStale', actions: 'adoptLeases' },
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
      { type: 'REGION_ISOLATED' as const, region },
      { type: 'REGION_RECOVERS' as const, region },
      { type: 'REGION_LEARNS_LEASES' as const, region },
    ]),
    ...config.accounts.map((a) => ({ type: 'WRITER_PROMOTED' as const, account: a.id })),
  ];
}

/** Three regions, one account homed in each, failing over to the next: the reference shape. */
export const scenarioConfig: RegionFailoverConfig = {
  regions: ['us-east', 'us-west', 'eu-west'],
  accounts: [
    { id: 'acct_us_east', home: 'us-east', failoverTo: 'us-west' },
    { id: 'acct_us_west', home: 'us-west', failoverTo: 'eu-west' },
    { id: 'acct_eu_west', home: 'eu-west', failoverTo: 'us-east' },
  ],
  writes: 'home_region_only',
  fencing: 'epoch_fencing',
  maxRegionFailures: 2,
};
