/**
 * The explorer: every reachable state of an XState v5 machine, breadth-first.
 *
 * One table from the 64-bit fingerprint of a state's canonical key to a state number
 * (fingerprints.ts, as TLC keeps states), and per state the number of its predecessor and the
 * event that led to it. Breadth-first order makes the first path
 * found to a state a shortest one, so a counterexample is rebuilt on demand by walking the
 * predecessor links back instead of keeping a path per state.
 *
 * Invariants are checked as each state is found; transition properties (a predicate of a
 * state, an event and the next state) as each transition is taken.
 */
import { initialTransition, transition, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';
import { getHeapStatistics } from 'node:v8';
import { compileFastStep } from './fast-path.ts';
import { collisionProbability, FingerprintSet, FingerprintTableFull, fingerprintString, fingerprintValue } from './fingerprints.ts';

/** A named predicate that must hold in every reachable state. */
export interface Invariant<TSnapshot> {
  /** Stable id, printed in answer keys and failures, e.g. `IDEM-1`. */
  id: string;
  /** The invariant in one line. */
  statement: string;
  /** The task it backs, e.g. `1.2`. */
  task: string;
  holds: (snapshot: TSnapshot) => boolean;
}

/** A named predicate over one step: it must hold for every transition taken. */
export interface StepProperty<TSnapshot, TEvent> {
  id: string;
  statement: string;
  task: string;
  holds: (before: TSnapshot, event: TEvent, after: TSnapshot) => boolean;
}

export interface ExploreOptions<TMachine extends AnyStateMachine> {
  /** The events to try in a state, with their payloads. Disabled ones are skipped cheaply. */
  events: (snapshot: SnapshotFrom<TMachine>) => readonly EventFromLogic<TMachine>[];
  invariants?: readonly Invariant<SnapshotFrom<TMachine>>[];
  stepProperties?: readonly StepProperty<SnapshotFrom<TMachine>, EventFromLogic<TMachine>>[];
  /**
   * Canonical key of a state; two snapshots with the same key are the same state. By default
   * value and context are fingerprinted as they are (`fingerprintValue`: the same states as
   * `defaultStateKey`, their JSON, tells apart, three times quicker); a key is for a model that
   * counts as one state snapshots that differ, or whose own key is cheaper still.
   */
  stateKey?: (snapshot: SnapshotFrom<TMachine>) => string;
  /**
   * Symmetry reduction: the key of a state's symmetry class, e.g. the processes' parts sorted
   * when processes are interchangeable. Replaces `stateKey`; the explorer then keeps one
   * representative per class, so `figures.states` counts classes (`figures.symmetry` says so).
   * Traces stay real executions: each is a path of concrete steps to the representative.
   */
  symmetry?: (snapshot: SnapshotFrom<TMachine>) => string;
  /** Stop with an error past this many distinct states (never run out of memory instead). */
  maxStates?: number;
  /**
   * Stop with an error when the heap passes this many MB (checked every few thousand states).
   * Default: 85% of the heap limit, so that a run too large stops with a message, not a crash.
   */
  maxHeapMb?: number;
  /**
   * Compute steps of a flat, assign-only machine directly instead of through xstate's
   * `transition()` (see fast-path.ts). Default true: machines that do not qualify fall back to
   * xstate, and `figures.fastPath` says which was used. Pass false to force xstate.
   */
  fastPath?: boolean;
  /** Stop at the first violation (default) or collect the first violation of each property. */
  stopAtFirstViolation?: boolean;
  /** Keep every edge (needed for diagrams and projections; costs memory on large models). */
  keepEdges?: boolean;
  /** A start snapshot other than the machine's initial one. */
  initial?: SnapshotFrom<TMachine>;
}

export interface Step<TSnapshot, TEvent> {
  event: TEvent;
  snapshot: TSnapshot;
}

/** A path from the initial state: the initial snapshot, then one step per event. */
export interface Trace<TSnapshot, TEvent> {
  initial: TSnapshot;
  steps: Step<TSnapshot, TEvent>[];
}

export interface Violation<TSnapshot, TEvent> {
  property: { id: string; statement: string; task: string };
  /** Shortest path to the violating state (for a step property, ending with the bad step). */
  trace: Trace<TSnapshot, TEvent>;
}

/** Figures with a model checker's meaning. */
export interface Figures {
  /** Distinct reachable states. */
  states: number;
  /** The initial state plus one per enabled event instance from each explored state. */
  generated: number;
  /** Enabled event instances taken, self-loops included (equals generated − 1). */
  transitions: number;
  /** Breadth-first levels; the initial state is level 1. */
  depth: number;
  /** States with no enabled event. */
  terminal: number;
  ms: number;
  /**
   * Peak memory seen during the run, in MB (sampled): `heapUsed` plus `arrayBuffers`, where
   * the fingerprint table and other typed arrays live.
   */
  peakMemoryMb: number;
  /** Whether `states` counts symmetry classes rather than states. */
  symmetry: boolean;
  /** Whether steps were computed by the fast path rather than xstate's `transition()`. */
  fastPath: boolean;
  /** The chance that two distinct states shared a 64-bit fingerprint and were counted as one. */
  collisionProbability?: number;
}

export interface Edge {
  from: number;
  to: number;
  eventType: string;
}

export interface Exploration<TSnapshot, TEvent> {
  figures: Figures;
  violations: Violation<TSnapshot, TEvent>[];
  /** Snapshot of state number i (0 is the initial state). */
  snapshots: TSnapshot[];
  /** Numbers of the states with no enabled event. */
  terminal: number[];
  edges: Edge[];
  /** Shortest path from the initial state to state number i. */
  pathTo(i: number): Trace<TSnapshot, TEvent>;
}

/** Exploration stopped at its budget (states or memory) before covering the whole space. */
export class StateBudgetExceeded extends Error {
  constructor(
    readonly maxStates: number,
    /** The breadth-first level reached: every state at a smaller depth was found. */
    readonly depth: number,
    /** How far it got: distinct states found, and how many of them were fully explored. */
    readonly progress: { states: number; explored: number; heapMb: number } = { states: maxStates, explored: 0, heapMb: 0 },
    /** Which budget ran out. */
    readonly budget: 'states' | 'memory' = 'states',
  ) {
    const limit =
      budget === 'states'
        ? `more than ${maxStates.toLocaleString('en')} distinct states`
        : `the heap passed ${progress.heapMb.toFixed(0)} MB (maxHeapMb)`;
    super(
      `state budget exceeded: ${limit}; found ${progress.states.toLocaleString('en')} states, ` +
        `explored ${progress.explored.toLocaleString('en')}, every state up to depth ${depth} found. ` +
        `Lower the model's bounds (retries, clients, regions), pass a symmetry reduction, or raise ` +
        `${budget === 'states' ? 'maxStates' : 'maxHeapMb (and node --max-old-space-size)'}.`,
    );
    this.name = 'StateBudgetExceeded';
  }
}

/** The states the explorer tells apart by default: value and context as JSON writes them. */
export function defaultStateKey(snapshot: { value: unknown; context: unknown }): string {
  return JSON.stringify({ value: snapshot.value, context: snapshot.context });
}

/** The heap and the typed arrays' buffers (outside the heap), in bytes. */
export function usedMemory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** How often (in states found) the heap is sampled: rare enough to cost nothing measurable. */
const HEAP_SAMPLE_EVERY = 4096;

export function explore<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: ExploreOptions<TMachine>,
): Exploration<SnapshotFrom<TMachine>, EventFromLogic<TMachine>> {
  type S = SnapshotFrom<TMachine>;
  type E = EventFromLogic<TMachine>;
  const started = performance.now();
  const key = options.symmetry ?? options.stateKey;
  const maxStates = options.maxStates ?? 1_000_000;
  const maxHeapBytes = (options.maxHeapMb ?? (0.85 * getHeapStatistics().heap_size_limit) / 2 ** 20) * 2 ** 20;
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const invariants = options.invariants ?? [];
  const stepProperties = options.stepProperties ?? [];
  const fast = options.fastPath === false ? undefined : compileFastStep<S, E>(machine).step;

  // The next snapshot, or null when the event is disabled in this state.
  const step = (snapshot: S, event: E): S | null => {
    if (fast) return fast(snapshot, event);
    // Evaluating guards alone is ~30× cheaper than computing the next snapshot.
    if (machine.getTransitionData(snapshot as never, event).length === 0) return null;
    return (transition(machine, snapshot, event) as [S, unknown])[0];
  };

  // Per state, numbered in the order found (which is breadth-first order, so the snapshots
  // array doubles as the queue: no Array.shift, no copy). Parent and depth live in typed
  // arrays that grow by doubling; a path is rebuilt from them on demand.
  const index = new FingerprintSet();
  const fingerprint = new Uint32Array(2);
  const snapshots: S[] = [];
  let parent = new Int32Array(1024);
  let level = new Int32Array(1024);
  const parentEvent: (E | undefined)[] = [];
  const terminal: number[] = [];
  const edges: Edge[] = [];
  const violations: Violation<S, E>[] = [];
  const violated = new Set<string>();
  let generated = 1;
  let transitions = 0;
  let maxDepth = 1;
  let peakHeap = usedMemory();
  let explored = 0;

  const pathTo = (i: number): Trace<S, E> => {
    const steps: Step<S, E>[] = [];
    for (let at = i; at > 0; at = parent[at]!) {
      steps.push({ event: parentEvent[at]!, snapshot: snapshots[at]! });
    }
    return { initial: snapshots[0]!, steps: steps.reverse() };
  };

  const record = (property: { id: string; statement: string; task: string }, trace: Trace<S, E>) => {
    if (violated.has(property.id)) return;
    violated.add(property.id);
    violations.push({ property: { id: property.id, statement: property.statement, task: property.task }, trace });
  };

  const checkState = (i: number) => {
    for (const invariant of invariants) {
      if (!violated.has(invariant.id) && !invariant.holds(snapshots[i]!)) record(invariant, pathTo(i));
    }
  };

  const sampleHeap = (from: number) => {
    const heap = usedMemory();
    if (heap > peakHeap) peakHeap = heap;
    if (heap > maxHeapBytes) {
      const progress = { states: snapshots.length, explored, heapMb: heap / 2 ** 20 };
      throw new StateBudgetExceeded(maxStates, from < 0 ? 1 : level[from]!, progress, 'memory');
    }
  };

  const addState = (snapshot: S, from: number, event: E | undefined): number => {
    if (key) fingerprintString(key(snapshot), fingerprint);
    else {
      const { value, context } = snapshot as { value: unknown; context: unknown };
      fingerprintValue({ value, context }, fingerprint);
    }
    const i = snapshots.length;
    let known: number;
    try {
      known = index.getOrAdd(fingerprint[0]!, fingerprint[1]!, i);
    } catch (error) {
      if (!(error instanceof FingerprintTableFull)) throw error;
      throw new StateBudgetExceeded(i, level[from] ?? 1, { states: i, explored, heapMb: usedMemory() / 2 ** 20 }, 'states');
    }
    if (known >= 0) return known;
    if (i >= maxStates) {
      const progress = { states: i, explored, heapMb: usedMemory() / 2 ** 20 };
      throw new StateBudgetExceeded(maxStates, level[from] ?? 1, progress, 'states');
    }
    if (i === parent.length) {
      const grownParent = new Int32Array(2 * i);
      grownParent.set(parent);
      parent = grownParent;
      const grownLevel = new Int32Array(2 * i);
      grownLevel.set(level);
      level = grownLevel;
    }
    if (i % HEAP_SAMPLE_EVERY === 0) sampleHeap(from);
    snapshots.push(snapshot);
    parent[i] = from;
    parentEvent.push(event);
    const depth = from < 0 ? 1 : level[from]! + 1;
    level[i] = depth;
    if (depth > maxDepth) maxDepth = depth;
    checkState(i);
    return i;
  };

  addState(options.initial ?? (initialTransition(machine as AnyStateMachine)[0] as S), -1, undefined);

  for (let at = 0; at < snapshots.length; at++) {
    if (stopAtFirst && violations.length > 0) break;
    const snapshot = snapshots[at]!;
    let enabled = 0;
    for (const event of options.events(snapshot)) {
      const next = step(snapshot, event);
      if (next === null) continue;
      enabled++;
      generated++;
      transitions++;
      const to = addState(next, at, event);
      if (options.keepEdges) edges.push({ from: at, to, eventType: event.type });
      for (const property of stepProperties) {
        if (!violated.has(property.id) && !property.holds(snapshot, event, next)) {
          const trace = pathTo(at);
          trace.steps.push({ event, snapshot: next });
          record(property, trace);
        }
      }
      if (stopAtFirst && violations.length > 0) break;
    }
    if (enabled === 0) terminal.push(at);
    explored++;
  }
  peakHeap = Math.max(peakHeap, usedMemory());

  return {
    figures: {
      states: snapshots.length,
      generated,
      transitions,
      depth: maxDepth,
      terminal: terminal.length,
      ms: performance.now() - started,
      peakMemoryMb: peakHeap / 2 ** 20,
      symmetry: options.symmetry !== undefined,
      fastPath: fast !== undefined,
      collisionProbability: collisionProbability(snapshots.length),
    },
    violations,
    snapshots,
    terminal,
    edges,
    pathTo,
  };
}
