/**
 * The explorer for models written as compact state encodings: a state is a few 32-bit words,
 * and the model writes each successor of a state into a scratch array. Nothing is allocated per
 * step, states live packed in one growing `Uint32Array` (which doubles as the breadth-first
 * queue), and seen states are 64-bit fingerprints in typed arrays (fingerprints.ts). This is how
 * the explorer reaches TLC's scale (a million states and more in seconds): on the same spaces a
 * machine's snapshot objects cost hundreds of bytes and a microsecond or more per step.
 *
 * Breadth-first order makes the path found to a state a shortest one, and it is rebuilt on
 * demand from predecessor links, as in `explore()`. Under symmetry reduction the table keeps one
 * representative per class; a trace is then replayed from the initial state, picking at each
 * step the successor that falls in the next class, so that it stays a real execution (TLC
 * rebuilds its traces by re-running the next-state relation the same way).
 */
import { getHeapStatistics } from 'node:v8';
import { StateBudgetExceeded, usedMemory, type Figures } from './explore.ts';
import { collisionProbability, FingerprintSet, FingerprintTableFull, fingerprintWords } from './fingerprints.ts';

export interface EncodedModel<TReadable> {
  /** 32-bit words per state. */
  words: number;
  /** Write the initial state. */
  initial(out: Uint32Array): void;
  /**
   * Write each successor of `state` into `next` and call `emit(action)` right after, once per
   * successor the specification generates (a self-loop included), so that `generated` counts as
   * a model checker does. `action` is an index into `actions`.
   */
  successors(state: Uint32Array, next: Uint32Array, emit: (action: number) => void): void;
  /** The actions' names, e.g. `Phase2b(a1, r2)`, for traces. */
  actions: readonly string[];
  /** A state in readable form, for traces. */
  decode(state: Uint32Array): TReadable;
  /**
   * The representative of the state's symmetry class, written to `out` (which may be `state`
   * itself). Used only when the exploration asks for symmetry reduction.
   */
  canonical?(state: Uint32Array, out: Uint32Array): void;
}

export interface EncodedInvariant {
  id: string;
  statement: string;
  task: string;
  holds(state: Uint32Array): boolean;
}

export interface EncodedOptions {
  invariants?: readonly EncodedInvariant[];
  /** Keep one representative per symmetry class (the model's `canonical`). */
  symmetry?: boolean;
  /** Stop with an error past this many distinct states. Default 50 million. */
  maxStates?: number;
  /** Stop with an error past this much heap and typed-array memory, in MB (sampled). */
  maxHeapMb?: number;
  /** Stop at the first violation (default) or collect the first of each invariant. */
  stopAtFirstViolation?: boolean;
}

export interface EncodedTrace<TReadable> {
  initial: TReadable;
  steps: { action: string; state: TReadable }[];
}

export interface EncodedExploration<TReadable> {
  figures: Figures;
  violations: { property: { id: string; statement: string; task: string }; trace: EncodedTrace<TReadable> }[];
  /** Shortest path from the initial state to state number i, as a real execution. */
  pathTo(i: number): EncodedTrace<TReadable>;
  /** State number i (its representative under symmetry), as words. */
  stateAt(i: number): Uint32Array;
}

/**
 * The trace from `initial` along `chain` (each state stored and the action that reached it). Under
 * symmetry the stored states are representatives: the trace is replayed from the concrete initial
 * state, picking at each step the successor whose class is the next representative.
 */
export function traceTo<TReadable>(
  model: EncodedModel<TReadable>,
  canonical: EncodedModel<TReadable>['canonical'],
  initial: Uint32Array,
  chain: readonly { state: Uint32Array; action: number }[],
): EncodedTrace<TReadable> {
  if (!canonical) {
    return {
      initial: model.decode(initial),
      steps: chain.map(({ state, action }) => ({ action: model.actions[action]!, state: model.decode(state) })),
    };
  }
  let concrete: Uint32Array = initial;
  const steps: EncodedTrace<TReadable>['steps'] = [];
  const candidate = new Uint32Array(model.words);
  const itsClass = new Uint32Array(model.words);
  for (const { state: target } of chain) {
    let found: { action: number; state: Uint32Array } | undefined;
    model.successors(concrete, candidate, (action) => {
      if (found) return;
      canonical(candidate, itsClass);
      if (itsClass.every((word, w) => word === target[w])) found = { action, state: candidate.slice() };
    });
    if (!found) throw new Error('trace replay: no step leads to the next state\'s class (is canonical() a symmetry of the model?)');
    steps.push({ action: model.actions[found.action]!, state: model.decode(found.state) });
    concrete = found.state;
  }
  return { initial: model.decode(initial), steps };
}

/** A typed array twice as long, starting with `array`'s elements. */
export function doubled<T extends Uint32Array | Int32Array | Int8Array | Uint16Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

/** States are found in millions: sample memory rarely. */
const MEMORY_SAMPLE_EVERY = 1 << 16;


export function exploreEncoded<TReadable>(
  model: EncodedModel<TReadable>,
  options: EncodedOptions = {},
): EncodedExploration<TReadable> {
  const started = performance.now();
  const { words } = model;
  const invariants = options.invariants ?? [];
  const maxStates = options.maxStates ?? 50_000_000;
  const maxBytes = (options.maxHeapMb ?? (0.85 * getHeapStatistics().heap_size_limit) / 2 ** 20) * 2 ** 20;
  const stopAtFirst = options.stopAtFirstViolation ?? true;
  const canonical = options.symmetry ? model.canonical : undefined;
  if (options.symmetry && !canonical) throw new Error('symmetry reduction asked for, but the model has no canonical()');

  let store = new Uint32Array(words * 4096);
  let parent = new Int32Array(4096);
  let via = new Uint16Array(4096);
  const table = new FingerprintSet(1 << 14);
  const fingerprint = new Uint32Array(2);
  const current = new Uint32Array(words);
  const next = new Uint32Array(words);
  const key = new Uint32Array(words);
  let count = 0;
  let generated = 1;
  let terminal = 0;
  let depth = 1;
  let explored = 0;
  let peak = usedMemory();
  const violations: EncodedExploration<TReadable>['violations'] = [];
  const violated = new Set<string>();

  const stateAt = (i: number) => store.slice(i * words, (i + 1) * words);

  const pathTo = (i: number): EncodedTrace<TReadable> => {
    const chain: { state: Uint32Array; action: number }[] = [];
    for (let at = i; at > 0; at = parent[at]!) chain.push({ state: stateAt(at), action: via[at]! });
    return traceTo(model, canonical, stateAt(0), chain.reverse());
  };

  const check = (i: number, state: Uint32Array) => {
    for (const invariant of invariants) {
      if (violated.has(invariant.id) || invariant.holds(state)) continue;
      violated.add(invariant.id);
      const { id, statement, task } = invariant;
      violations.push({ property: { id, statement, task }, trace: pathTo(i) });
    }
  };

  const budget = (kind: 'states' | 'memory', heapMb = usedMemory() / 2 ** 20) =>
    new StateBudgetExceeded(kind === 'states' ? Math.min(maxStates, count) : maxStates, depth, { states: count, explored, heapMb }, kind);

  // Depth of the state being expanded: states [levelStart, levelEnd) are at `depth`.
  let levelEnd = 1;
  let expanding = 0;
  let successors = 0;

  const add = (state: Uint32Array, from: number, action: number): void => {
    fingerprintWords(state, 0, words, fingerprint);
    let found: number;
    try {
      found = table.getOrAdd(fingerprint[0]!, fingerprint[1]!, count);
    } catch (error) {
      if (error instanceof FingerprintTableFull) throw budget('states');
      throw error;
    }
    if (found >= 0) return;
    if (count >= maxStates) throw budget('states');
    if (count === parent.length) {
      store = doubled(store);
      parent = doubled(parent);
      via = doubled(via);
    }
    store.set(state, count * words);
    parent[count] = from;
    via[count] = action;
    const i = count++;
    if (i % MEMORY_SAMPLE_EVERY === 0) {
      const used = usedMemory();
      if (used > peak) peak = used;
      if (used > maxBytes) throw budget('memory', used / 2 ** 20);
    }
    if (invariants.length > 0) check(i, state);
  };

  const emit = (action: number): void => {
    generated++;
    successors++;
    // Most successors of a protocol's state are the state itself (a message received again).
    let same = true;
    for (let w = 0; w < words; w++) {
      if (next[w] !== current[w]) {
        same = false;
        break;
      }
    }
    if (same) return;
    if (canonical) {
      canonical(next, key);
      add(key, expanding, action);
    } else add(next, expanding, action);
  };

  model.initial(current);
  if (canonical) canonical(current, current);
  add(current, -1, 0);

  for (let at = 0; at < count; at++) {
    if (stopAtFirst && violations.length > 0) break;
    if (at === levelEnd) {
      levelEnd = count;
      depth++;
    }
    for (let w = 0; w < words; w++) current[w] = store[at * words + w]!;
    expanding = at;
    successors = 0;
    model.successors(current, next, emit);
    if (successors === 0) terminal++;
    explored++;
  }
  // Stopped at a violation: the next level's states found so far count in the depth.
  if (count > levelEnd) depth++;
  peak = Math.max(peak, usedMemory());

  return {
    figures: {
      states: count,
      generated,
      transitions: generated - 1,
      depth,
      terminal,
      ms: performance.now() - started,
      peakMemoryMb: peak / 2 ** 20,
      symmetry: canonical !== undefined,
      fastPath: true,
      collisionProbability: collisionProbability(count),
    },
    violations,
    pathTo,
    stateAt,
  };
}
