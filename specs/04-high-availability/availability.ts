/**
 * Availability from components, by series and parallel composition:
 *
 *   series   (every part must be up)        A = A1 × A2 × …
 *   parallel (any one part up is enough)     A = 1 − (1 − A1)(1 − A2)…
 *
 * assuming parts fail independently. An architecture descriptor (task 4.1) becomes one block
 * per region's accounts; the whole system's availability is the transaction-weighted mean of
 * its regions' (the share of transactions that succeed when requests arrive at random times).
 */
import type { ActiveActiveArchitecture, RegionPlan } from './answer-types.ts';
import { highAvailabilityScenario } from '../../models/cross-region-transfer/scenario.ts';

export type Block =
  | { kind: 'component'; name: string; availability: number }
  | { kind: 'series'; name: string; parts: Block[] }
  | { kind: 'parallel'; name: string; parts: Block[] };

export const component = (name: string, availability: number): Block => ({ kind: 'component', name, availability });
export const series = (name: string, ...parts: Block[]): Block => ({ kind: 'series', name, parts });
export const parallel = (name: string, ...parts: Block[]): Block => ({ kind: 'parallel', name, parts });

export function availabilityOf(block: Block): number {
  switch (block.kind) {
    case 'component':
      return block.availability;
    case 'series':
      return block.parts.reduce((a, part) => a * availabilityOf(part), 1);
    case 'parallel':
      return 1 - block.parts.reduce((u, part) => u * (1 - availabilityOf(part)), 1);
  }
}

/** A year of 365.25 days. */
export const SECONDS_PER_YEAR = 365.25 * 24 * 3600;
export const MINUTES_PER_YEAR = SECONDS_PER_YEAR / 60;

/** The target of the exercise, as a fraction (the scenario's figure is in percent). */
export const TARGET = highAvailabilityScenario.availabilityTargetPercent / 100;

/** The target as the text writes it: `99.999 %`. */
export const TARGET_TEXT = `${highAvailabilityScenario.availabilityTargetPercent} %`;

export const downtimeMinutesPerYear = (availability: number) => (1 - availability) * MINUTES_PER_YEAR;

/** `99.99912 %`: enough digits to tell five nines from four. */
export const percent = (availability: number, digits = 5) => `${(availability * 100).toFixed(digits)} %`;

/** A region's write path: its services, and any one of its database replicas. */
export function regionWritePath(region: RegionPlan, arch: ActiveActiveArchitecture): Block {
  const c = arch.componentAvailability;
  const replicas = Array.from({ length: region.databaseReplicas }, (_, i) => component(`${region.name} db replica ${i + 1}`, c.databaseReplica));
  return series(`${region.name} write path`, component(`${region.name} services`, c.regionServices), parallel(`${region.name} database`, ...replicas));
}

/**
 * The time spent promoting the failover region, as a component: unavailable for
 * `promotionSeconds` after each of `regionFailuresPerYear` failures.
 */
export const failoverSwitch = (arch: ActiveActiveArchitecture) =>
  component('failover switch-over', 1 - (arch.failover.regionFailuresPerYear * arch.failover.promotionSeconds) / SECONDS_PER_YEAR);

/**
 * The accounts homed in one region: routing, then the home write path or the failover one.
 * The failover path needs the control plane (health checks, the lease store, the promotion):
 * a dependency counted in series with it, never assumed perfect (Treynor et al., "The Calculus
 * of Service Availability", ACM Queue 2017).
 */
export function accountsBlock(region: RegionPlan, arch: ActiveActiveArchitecture): Block {
  const routing = component('global routing', arch.componentAvailability.globalRouting);
  const home = regionWritePath(region, arch);
  const standby = arch.regions.find((r) => r.name === region.failoverTo);
  if (!standby || standby.name === region.name) return series(`${region.name} accounts (no failover)`, routing, home);
  const failoverPath = series(`${standby.name} after failover`, component('control plane', arch.componentAvailability.controlPlane), regionWritePath(standby, arch));
  return series(`${region.name} accounts`, routing, failoverSwitch(arch), parallel(`${region.name} or ${standby.name}`, home, failoverPath));
}

/**
 * The highest availability the check takes for each component without a source, with where
 * it comes from. Above it, the answer must cite one (`availabilitySources`).
 */
export const UNCITED_CEILING: Record<keyof ActiveActiveArchitecture['componentAvailability'], { max: number; why: string }> = {
  // One instance, not a replicated deployment: a provider commits to 99.5 % for a single RDS
  // database instance (Single-DB Instance SLA, https://aws.amazon.com/rds/sla/) and a single EC2
  // instance (instance-level SLA, https://aws.amazon.com/compute/sla/); RDS Multi-AZ's 99.95 %
  // (https://aws.amazon.com/rds/sla/) is for a deployment of several instances already.
  databaseReplica: { max: 0.995, why: 'what a provider commits to for one database instance (RDS Single-DB Instance SLA and EC2 instance-level SLA: 99.5 %); a replicated deployment’s SLA is not one replica’s availability' },
  // EC2's region-level commitment: 99.99 % (https://aws.amazon.com/compute/sla/).
  regionServices: { max: 0.9999, why: 'a provider’s region-level commitment (EC2: 99.99 %)' },
  globalRouting: { max: 0.9999, why: 'a region-level service’s figure; a global one may do better, with a source' },
  controlPlane: { max: 0.9999, why: 'a region-level service’s figure: the lease store and the promotion are services too' },
};

export interface AvailabilityReport {
  perRegion: { region: string; sharePercent: number; writePath: number; accounts: number }[];
  /** Transaction-weighted availability of the whole system. */
  overall: number;
  /** Share of transactions a single region's failure stops until failover completes (the worst region). */
  blastRadiusPercent: number;
  /** The region whose failure affects the most transactions. */
  worstRegion: string;
}

export function availabilityReport(arch: ActiveActiveArchitecture): AvailabilityReport {
  const perRegion = arch.regions.map((region) => ({
    region: region.name,
    sharePercent: region.shareOfTransactionsPercent,
    writePath: availabilityOf(regionWritePath(region, arch)),
    accounts: availabilityOf(accountsBlock(region, arch)),
  }));
  const totalShare = perRegion.reduce((s, r) => s + r.sharePercent, 0);
  const overall = perRegion.reduce((s, r) => s + (r.sharePercent / totalShare) * r.accounts, 0);
  // With multi-writer regions every region serves every account: one failure stops only the
  // requests that were in it. Single writer: it stops every account homed there until failover.
  const worst = [...perRegion].sort((a, b) => b.sharePercent - a.sharePercent)[0]!;
  return { perRegion, overall, blastRadiusPercent: worst.sharePercent, worstRegion: worst.region };
}

/** One line of where the downtime goes. */
export interface DowntimeShare {
  component: string;
  minutesPerYear: number;
}

/** What a part of a region's accounts block stands for, in the words of the breakdown. */
function breakdownLabel(part: Block): string {
  if (part.kind === 'parallel') return 'home and failover write paths down together';
  if (part.kind === 'series') return 'home write path (no failover region)';
  return part.name;
}

/**
 * The system's downtime split by component, in minutes a year, summing to the whole: for each
 * region's accounts (weighted by their share of transactions) a series A1 × A2 × A3 is unavailable
 * (1 − A1) + A1(1 − A2) + A1A2(1 − A3), so each part is charged the downtime it adds while the
 * parts before it are up. Largest first: which component eats the budget.
 */
export function downtimeBreakdown(arch: ActiveActiveArchitecture): DowntimeShare[] {
  const totalShare = arch.regions.reduce((s, r) => s + r.shareOfTransactionsPercent, 0);
  const minutes = new Map<string, number>();
  for (const region of arch.regions) {
    const weight = region.shareOfTransactionsPercent / totalShare;
    const block = accountsBlock(region, arch);
    let upBefore = 1;
    for (const part of block.kind === 'series' ? block.parts : [block]) {
      const availability = availabilityOf(part);
      const label = breakdownLabel(part);
      minutes.set(label, (minutes.get(label) ?? 0) + weight * upBefore * (1 - availability) * MINUTES_PER_YEAR);
      upBefore *= availability;
    }
  }
  return [...minutes].map(([component, minutesPerYear]) => ({ component, minutesPerYear })).sort((a, b) => b.minutesPerYear - a.minutesPerYear);
}
