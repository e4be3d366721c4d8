/**
 * A discrete-event simulation of the webhook dispatcher and its fleet of merchants, for task
 * 3.3. Plain TypeScript, deterministic under a seed: the same scenario, policy and seed give
 * the same figures on every machine.
 *
 * Payments happen at a steady rate; each creates one payment.succeeded event for a merchant
 * drawn at random. The dispatcher has a fixed number of workers (concurrent requests). A worker
 * sends an attempt and is busy until the response or the timeout; a failed attempt is retried
 * on the retry schedule, and dead-lettered when the schedule runs out. Most merchants answer in
 * well under a second; a few are slow (they answer, but after seconds); a few are down (they
 * never answer, so every attempt lasts the whole timeout).
 */
import type { DispatchPolicy } from './answer-types.ts';
import { exampleRetryDelaysSeconds, webhookScenario as s } from '../../models/webhook-delivery/scenario.ts';

export type MerchantKind = 'healthy' | 'slow' | 'down';

export interface FleetScenario {
  merchants: number;
  /** Requests the dispatcher can have in flight at once. */
  workers: number;
  /** Events are created at this rate for this long. */
  eventsPerSecond: number;
  trafficSeconds: number;
  /** Shares of the merchants that are slow, and down. */
  slowShare: number;
  downShare: number;
  /** Merchant 0 is a large one: it receives this share of all events, and its server is slow. */
  largeSlowMerchantShare: number;
  /** Response times of each kind, drawn uniformly from [min, max] per attempt, in seconds. */
  healthyLatencySeconds: readonly [number, number];
  slowLatencySeconds: readonly [number, number];
  retryDelaysSeconds: readonly number[];
  seed: number;
}

/**
 * The exercise's fleet (its counts from the chapter's scenario): 10,000 merchants by default, 2 % slow and 1 % down; one large merchant that
 * receives a tenth of all events has a slow server; 50 events a second for 10 minutes.
 */
export const fleetScenario: FleetScenario = {
  merchants: s.merchants,
  workers: s.workers,
  eventsPerSecond: s.eventsPerSecond,
  trafficSeconds: s.trafficSeconds,
  slowShare: 0.02,
  downShare: 0.01,
  largeSlowMerchantShare: 0.1,
  healthyLatencySeconds: [0.05, 0.8],
  slowLatencySeconds: [8, 25],
  retryDelaysSeconds: exampleRetryDelaysSeconds(),
  seed: s.fleetSeed,
};

/** xorshift32: a small, fast PRNG whose whole state is one 32-bit integer (the seed). */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** A min-heap of timed simulation events; ties go to the one scheduled first. */
class Agenda<T> {
  private items: { at: number; seq: number; value: T }[] = [];
  private seq = 0;
  get size() {
    return this.items.length;
  }
  push(at: number, value: T) {
    const items = this.items;
    items.push({ at, seq: this.seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): { at: number; value: T } {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.before(items[l]!, items[smallest]!)) smallest = l;
        if (r < items.length && this.before(items[r]!, items[smallest]!)) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }
  /** When the next item is due (Infinity when there is none). */
  nextAt(): number {
    return this.items.length > 0 ? this.items[0]!.at : Infinity;
  }
  private before(a: { at: number; seq: number }, b: { at: number; seq: number }) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

/** A FIFO queue of numbers without Array.shift's copying. */
class Fifo {
  private items: number[] = [];
  private head = 0;
  get length() {
    return this.items.length - this.head;
  }
  push(value: number) {
    this.items.push(value);
  }
  shift(): number | undefined {
    if (this.head === this.items.length) return undefined;
    const value = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }
}

export interface EventOutcome {
  merchant: number;
  kind: MerchantKind;
  createdAt: number;
  /** When the merchant acknowledged it, or null if it was dead-lettered. */
  deliveredAt: number | null;
  attempts: number;
}

export interface FleetRun {
  events: EventOutcome[];
  kinds: MerchantKind[];
  /** Attempts sent, in total. */
  attempts: number;
  /** The most events one endpoint had waiting in the dispatcher's memory at once, and which endpoint. */
  largestQueue: { endpoint: number; events: number };
  /** When each endpoint's merchant was alerted that its backlog reached the bound (endpoint → seconds). */
  backlogAlerts: Map<number, number>;
}

type SimEvent = { kind: 'ready'; event: number } | { kind: 'done'; event: number; lane: Lane; ok: boolean; latency: number };
type Lane = 'normal' | 'slow' | 'retry';

/** Run the fleet under a dispatch policy until every event is delivered or dead-lettered. */
export function simulateFleet(scenario: FleetScenario, policy: DispatchPolicy): FleetRun {
  const random = xorshift32(scenario.seed);
  const uniform = ([min, max]: readonly [number, number]) => min + (max - min) * random();

  const kinds: MerchantKind[] = Array.from({ length: scenario.merchants }, (_, merchant) => {
    const r = random();
    if (merchant === 0 && scenario.largeSlowMerchantShare > 0) return 'slow';
    return r < scenario.downShare ? 'down' : r < scenario.downShare + scenario.slowShare ? 'slow' : 'healthy';
  });
  const total = Math.round(scenario.eventsPerSecond * scenario.trafficSeconds);
  const events: EventOutcome[] = Array.from({ length: total }, (_, i) => {
    const merchant = random() < scenario.largeSlowMerchantShare ? 0 : Math.floor(random() * scenario.merchants);
    return { merchant, kind: kinds[merchant]!, createdAt: i / scenario.eventsPerSecond, deliveredAt: null, attempts: 0 };
  });

  // What happens after an event's creation (an attempt ending, a retry falling due) waits in the
  // agenda; the creations themselves, already in time order, are read in turn beside it. The
  // order is the one a single agenda holding every creation first would give (a creation goes
  // before anything else due at the same time), with a heap of hundreds instead of tens of
  // thousands: 2× quicker.
  const agenda = new Agenda<SimEvent>();
  let nextCreated = 0;
  const next = (): { at: number; value: SimEvent } => {
    if (nextCreated < total && events[nextCreated]!.createdAt <= agenda.nextAt()) {
      const event = nextCreated++;
      return { at: events[event]!.createdAt, value: { kind: 'ready', event } };
    }
    return agenda.pop();
  };

  let freeWorkers = scenario.workers;
  let attempts = 0;
  const perEndpoint = policy.queueing === 'per_endpoint' ? policy : null;
  const cap = perEndpoint?.maxInFlightPerEndpoint ?? Infinity;
  const slowLane = perEndpoint?.slowLane ?? null;
  const slowWorkers = slowLane ? Math.max(1, Math.floor(slowLane.workerShare * scenario.workers)) : 0;
  let slowBusy = 0;
  const retryLane = perEndpoint?.retryLane ?? null;
  const retryWorkers = retryLane ? Math.max(1, Math.floor(retryLane.workerShare * scenario.workers)) : 0;
  let retryBusy = 0;
  const backlog = perEndpoint?.backlog ?? null;
  const largestQueue = { endpoint: 0, events: 0 };
  const backlogAlerts = new Map<number, number>();

  // shared_fifo: one queue of events. per_endpoint: a queue per endpoint, and a ring per lane
  // of the endpoints that have ready work and room under the cap.
  const shared = new Fifo();
  const queues = perEndpoint ? Array.from({ length: scenario.merchants }, () => new Fifo()) : [];
  // With a retry lane, each endpoint's retries wait in a queue of their own, on a ring of their own.
  const retryQueues = retryLane ? Array.from({ length: scenario.merchants }, () => new Fifo()) : [];
  // With a bounded backlog, what does not fit waits in durable storage, in order.
  const overflow = backlog ? Array.from({ length: scenario.merchants }, () => new Fifo()) : [];
  const inFlight = new Int32Array(scenario.merchants);
  const lane: ('normal' | 'slow')[] = new Array<'normal' | 'slow'>(scenario.merchants).fill('normal');
  const inRing = new Uint8Array(scenario.merchants);
  const inRetryRing = new Uint8Array(scenario.merchants);
  const rings: Record<Lane, Fifo> = { normal: new Fifo(), slow: new Fifo(), retry: new Fifo() };

  const offer = (endpoint: number) => {
    if (inRing[endpoint] || queues[endpoint]!.length === 0 || inFlight[endpoint]! >= cap) return;
    inRing[endpoint] = 1;
    rings[lane[endpoint]!].push(endpoint);
  };
  const offerRetry = (endpoint: number) => {
    if (!retryLane || inRetryRing[endpoint] || retryQueues[endpoint]!.length === 0 || inFlight[endpoint]! >= cap) return;
    inRetryRing[endpoint] = 1;
    rings.retry.push(endpoint);
  };
  const offerBoth = (endpoint: number) => {
    offer(endpoint);
    offerRetry(endpoint);
  };

  /** An event joins its endpoint's queue, or waits in durable storage when the queue is full. */
  const enqueue = (now: number, endpoint: number, event: number) => {
    const queue = queues[endpoint]!;
    if (backlog && (queue.length >= backlog.maxQueuedPerEndpoint || overflow[endpoint]!.length > 0)) {
      overflow[endpoint]!.push(event);
      if (backlog.alertMerchant && !backlogAlerts.has(endpoint)) backlogAlerts.set(endpoint, now);
    } else {
      queue.push(event);
    }
    if (queue.length > largestQueue.events) [largestQueue.endpoint, largestQueue.events] = [endpoint, queue.length];
  };
  /** Room freed in an endpoint's queue: the oldest stored events move in. */
  const refill = (endpoint: number) => {
    if (!backlog) return;
    const queue = queues[endpoint]!;
    while (queue.length < backlog.maxQueuedPerEndpoint && overflow[endpoint]!.length > 0) queue.push(overflow[endpoint]!.shift()!);
  };

  const nextFrom = (ringLane: Lane): number | undefined => {
    const ring = rings[ringLane];
    const retrying = ringLane === 'retry';
    const marks = retrying ? inRetryRing : inRing;
    const source = retrying ? retryQueues : queues;
    for (let endpoint = ring.shift(); endpoint !== undefined; endpoint = ring.shift()) {
      marks[endpoint] = 0;
      if (!retrying && lane[endpoint] !== ringLane) {
        offer(endpoint); // its lane changed while it waited: move it to the other ring
        continue;
      }
      if (source[endpoint]!.length === 0 || inFlight[endpoint]! >= cap) continue;
      const event = source[endpoint]!.shift()!;
      if (!retrying) refill(endpoint);
      inFlight[endpoint]!++;
      offerBoth(endpoint);
      return event;
    }
    return undefined;
  };

  const start = (now: number, event: number, attemptLane: Lane) => {
    const outcome = events[event]!;
    freeWorkers--;
    attempts++;
    outcome.attempts++;
    const latency =
      outcome.kind === 'healthy' ? uniform(scenario.healthyLatencySeconds) : outcome.kind === 'slow' ? uniform(scenario.slowLatencySeconds) : Infinity;
    const ok = latency <= policy.timeoutSeconds;
    agenda.push(now + (ok ? latency : policy.timeoutSeconds), { kind: 'done', event, lane: attemptLane, ok, latency });
  };

  const dispatch = (now: number) => {
    while (freeWorkers > 0) {
      if (!perEndpoint) {
        const event = shared.shift();
        if (event === undefined) return;
        inFlight[events[event]!.merchant]!++;
        start(now, event, 'normal');
        continue;
      }
      let event: number | undefined;
      let chosen: Lane = 'normal';
      if (retryLane && retryBusy < retryWorkers) {
        event = nextFrom('retry');
        if (event !== undefined) chosen = 'retry';
      }
      if (event === undefined && slowLane && slowBusy < slowWorkers) {
        event = nextFrom('slow');
        if (event !== undefined) chosen = 'slow';
      }
      if (event === undefined) {
        event = nextFrom('normal');
        chosen = 'normal';
      }
      if (event === undefined) return;
      if (chosen === 'slow') slowBusy++;
      if (chosen === 'retry') retryBusy++;
      start(now, event, chosen);
    }
  };

  while (nextCreated < total || agenda.size > 0) {
    const { at: now, value } = next();
    const outcome = events[value.event]!;
    const endpoint = outcome.merchant;
    if (value.kind === 'ready') {
      if (perEndpoint) {
        if (retryLane && outcome.attempts > 0) retryQueues[endpoint]!.push(value.event);
        else enqueue(now, endpoint, value.event);
        offerBoth(endpoint);
      } else {
        shared.push(value.event);
      }
    } else {
      freeWorkers++;
      inFlight[endpoint]!--;
      if (value.lane === 'slow') slowBusy--;
      if (value.lane === 'retry') retryBusy--;
      if (slowLane) lane[endpoint] = value.ok && value.latency <= slowLane.slowAfterSeconds ? 'normal' : 'slow';
      if (value.ok) {
        outcome.deliveredAt = now;
      } else {
        const delay = scenario.retryDelaysSeconds[outcome.attempts - 1];
        if (delay !== undefined) agenda.push(now + delay, { kind: 'ready', event: value.event });
      }
      if (perEndpoint) offerBoth(endpoint);
    }
    dispatch(now);
  }
  return { events, kinds, attempts, largestQueue, backlogAlerts };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface FleetFigures {
  events: number;
  attempts: number;
  merchants: Record<MerchantKind, number>;
  /** Delivery latency (created → acknowledged) of healthy merchants' events, in seconds. */
  healthy: { events: number; p50: number; p99: number; max: number };
  slow: { events: number; delivered: number; p99: number; max: number };
  down: { events: number; deadLettered: number };
}

export function fleetFigures(run: FleetRun): FleetFigures {
  const latencies = (kind: MerchantKind) =>
    run.events
      .filter((e) => e.kind === kind && e.deliveredAt !== null)
      .map((e) => e.deliveredAt! - e.createdAt)
      .sort((a, b) => a - b);
  const count = (kind: MerchantKind) => run.events.filter((e) => e.kind === kind).length;
  const healthy = latencies('healthy');
  const slow = latencies('slow');
  const merchants = { healthy: 0, slow: 0, down: 0 };
  for (const kind of run.kinds) merchants[kind]++;
  return {
    events: run.events.length,
    attempts: run.attempts,
    merchants,
    healthy: { events: count('healthy'), p50: percentile(healthy, 50), p99: percentile(healthy, 99), max: healthy[healthy.length - 1] ?? NaN },
    slow: { events: count('slow'), delivered: slow.length, p99: percentile(slow, 99), max: slow[slow.length - 1] ?? NaN },
    down: { events: count('down'), deadLettered: run.events.filter((e) => e.kind === 'down' && e.deliveredAt === null).length },
  };
}

/** Healthy merchants' p99 latency per window of event creation time: the plot's series. */
export function healthyP99ByWindow(run: FleetRun, windowSeconds: number): { window: number; p99: number }[] {
  const byWindow = new Map<number, number[]>();
  for (const e of run.events) {
    if (e.kind !== 'healthy' || e.deliveredAt === null) continue;
    const w = Math.floor(e.createdAt / windowSeconds) * windowSeconds;
    const values = byWindow.get(w) ?? [];
    values.push(e.deliveredAt - e.createdAt);
    byWindow.set(w, values);
  }
  return [...byWindow]
    .sort(([a], [b]) => a - b)
    .map(([window, values]) => ({ window, p99: percentile(values.sort((a, b) => a - b), 99) }));
}
