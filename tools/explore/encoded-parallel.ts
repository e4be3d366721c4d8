/**
 * `exploreEncoded()` on two worker threads: the same breadth-first search, its states split
 * between the workers by one bit of their fingerprint. Each worker owns its half (its own
 * fingerprint table, store and predecessor links), expands its own frontier, and sends each
 * successor it does not own to the other worker, in batches of transferable typed arrays that
 * carry the state, its fingerprint, the predecessor's index and the action. The search is
 * level-synchronous: a worker starts level d + 1 only once the other has sent everything it
 * found from level d, so every state is numbered at its breadth-first depth, the depth is exact
 * and a predecessor link (worker, index) always leads back along a shortest path.
 *
 * The workers wait for each other with `Atomics.wait` and read their messages with
 * `receiveMessageOnPort`, so neither returns to its event loop until the search is over. The
 * model is loaded in each worker from a module: `source` names the module's URL and the export
 * (an `EncodedModel`, or a function that returns one, called with `args`).
 *
 * Differences from `exploreEncoded()`: it is asynchronous; at a violation it stops at the end of
 * the level (so `states` counts the whole level); the state numbering is worker 0's states, then
 * worker 1's (not breadth-first order).
 */
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, parentPort, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StateBudgetExceeded, usedMemory } from './explore.ts';
import { collisionProbability, FingerprintSet, FingerprintTableFull, fingerprintWords } from './fingerprints.ts';
import { doubled, traceTo, type EncodedExploration, type EncodedInvariant, type EncodedModel, type EncodedOptions } from './encoded.ts';

/** Where a worker finds the model (and the invariants): a module's URL and its exports' names. */
export interface EncodedModelSource {
  url: string;
  /** An `EncodedModel`, or a function returning one (called with `args`). */
  model: string;
  args?: unknown[];
  /** An array of `EncodedInvariant`s. */
  invariants?: string;
}

const WORKERS = 2;
/** Records per batch sent to the other worker. */
const BATCH = 1 << 13;
/** Incoming batches are read every this many states expanded. */
const POLL_EVERY = 1 << 10;
const MEMORY_SAMPLE_EVERY = 1 << 16;

interface Setup {
  kind: 'encoded-parallel';
  me: number;
  source: EncodedModelSource;
  symmetry: boolean;
  maxStates: number;
  maxBytes: number;
  stopAtFirst: boolean;
  peer: MessagePort;
  /** posted[w]: messages posted to worker w so far (for Atomics.wait). */
  posted: SharedArrayBuffer;
}

interface Found {
  count: number;
  store: Uint32Array;
  /** Predecessor's index in its worker's store, and which worker (-1 for the initial state). */
  parent: Int32Array;
  parentWorker: Int8Array;
  via: Uint16Array;
  generated: number;
  terminal: number;
  explored: number;
  depth: number;
  peakBytes: number;
  /** The first state of each violated invariant, with its depth. */
  violations: { id: string; index: number; depth: number }[];
}

type Message =
  | { type: 'batch'; data: Uint32Array; records: number }
  | { type: 'done' }
  | { type: 'level'; found: number; states: number; violated: boolean }
  | { type: 'abort' };

async function loadModel<T>(source: EncodedModelSource): Promise<{ model: EncodedModel<T>; invariants: readonly EncodedInvariant[] }> {
  const module = (await import(source.url)) as Record<string, unknown>;
  const exported = module[source.model];
  const model = (typeof exported === 'function' ? exported(...(source.args ?? [])) : exported) as EncodedModel<T>;
  if (!model || typeof model.successors !== 'function') throw new Error(`${source.url}#${source.model} is not an EncodedModel`);
  const invariants = source.invariants ? (module[source.invariants] as EncodedInvariant[]) : [];
  return { model, invariants };
}

class Aborted extends Error {}

/** One worker's half of the search. */
function search(setup: Setup, model: EncodedModel<unknown>, invariants: readonly EncodedInvariant[]): Found {
  const { me, peer, maxStates, maxBytes, stopAtFirst } = setup;
  const other = 1 - me;
  const posted = new Int32Array(setup.posted);
  const { words } = model;
  const canonical = setup.symmetry ? model.canonical : undefined;
  if (setup.symmetry && !canonical) throw new Error('symmetry reduction asked for, but the model has no canonical()');
  const record = words + 4;

  let store = new Uint32Array(words * 4096);
  let parent = new Int32Array(4096);
  let parentWorker = new Int8Array(4096);
  let via = new Uint16Array(4096);
  const table = new FingerprintSet(1 << 14);
  const fingerprint = new Uint32Array(2);
  const current = new Uint32Array(words);
  const next = new Uint32Array(words);
  const key = new Uint32Array(words);
  let count = 0;
  let generated = 0;
  let terminal = 0;
  let explored = 0;
  let depth = 1;
  let peakBytes = usedMemory();
  let otherStates = 0;
  const violations: Found['violations'] = [];
  const violated = new Set<string>();

  let outbox = new Uint32Array(BATCH * record);
  let outboxRecords = 0;
  let seen = 0;

  const send = (message: Message, transfer: ArrayBuffer[] = []) => {
    peer.postMessage(message, transfer);
    Atomics.add(posted, other, 1);
    Atomics.notify(posted, other);
  };
  const flush = () => {
    if (outboxRecords === 0) return;
    send({ type: 'batch', data: outbox, records: outboxRecords }, [outbox.buffer as ArrayBuffer]);
    outbox = new Uint32Array(BATCH * record);
    outboxRecords = 0;
  };
  const budget = (kind: 'states' | 'memory', bytes = usedMemory()) =>
    new StateBudgetExceeded(maxStates, depth, { states: count + otherStates, explored, heapMb: bytes / 2 ** 20 }, kind);

  /** Store a state this worker owns, unless seen; its fingerprint is in (hi, lo). */
  const add = (state: Uint32Array, offset: number, hi: number, lo: number, from: number, fromWorker: number, action: number) => {
    let found: number;
    try {
      found = table.getOrAdd(hi, lo, count);
    } catch (error) {
      if (error instanceof FingerprintTableFull) throw budget('states');
      throw error;
    }
    if (found >= 0) return;
    if (count >= maxStates) throw budget('states');
    if (count === parent.length) {
      store = doubled(store);
      parent = doubled(parent);
      parentWorker = doubled(parentWorker);
      via = doubled(via);
    }
    const at = count * words;
    for (let w = 0; w < words; w++) store[at + w] = state[offset + w]!;
    parent[count] = from;
    parentWorker[count] = fromWorker;
    via[count] = action;
    const i = count++;
    if (i % MEMORY_SAMPLE_EVERY === 0) {
      const used = usedMemory();
      if (used > peakBytes) peakBytes = used;
      if (used > maxBytes) throw budget('memory', used);
    }
    if (invariants.length > 0) {
      const view = store.subarray(i * words, (i + 1) * words);
      for (const invariant of invariants) {
        if (violated.has(invariant.id) || invariant.holds(view)) continue;
        violated.add(invariant.id);
        // A state added now is at the next level.
        violations.push({ id: invariant.id, index: i, depth: depth + (from < 0 ? 0 : 1) });
      }
    }
  };

  /** A successor of the state being expanded: keep it, or send it to its owner. */
  let expanding = 0;
  let successors = 0;
  const route = (state: Uint32Array, action: number) => {
    fingerprintWords(state, 0, words, fingerprint);
    const hi = fingerprint[0]!;
    const lo = fingerprint[1]!;
    if (hi >>> 31 === me) {
      add(state, 0, hi, lo, expanding, me, action);
      return;
    }
    const at = outboxRecords * record;
    for (let w = 0; w < words; w++) outbox[at + w] = state[w]!;
    outbox[at + words] = hi;
    outbox[at + words + 1] = lo;
    outbox[at + words + 2] = expanding;
    outbox[at + words + 3] = action;
    if (++outboxRecords === BATCH) flush();
  };
  const emit = (action: number): void => {
    generated++;
    successors++;
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
      route(key, action);
    } else route(next, action);
  };

  /** Handle one message from the other worker; returns it. */
  const handle = (message: Message): Message => {
    seen++;
    if (message.type === 'abort') throw new Aborted();
    if (message.type === 'batch') {
      const { data, records } = message;
      for (let r = 0; r < records; r++) {
        const at = r * record;
        add(data, at, data[at + words]!, data[at + words + 1]!, data[at + words + 2]!, other, data[at + words + 3]!);
      }
    }
    return message;
  };
  /** The other worker's end of level, when it came while this worker was still expanding. */
  let peerDone = false;
  const drain = () => {
    for (let received = receiveMessageOnPort(peer); received; received = receiveMessageOnPort(peer)) {
      if (handle(received.message as Message).type === 'done') peerDone = true;
    }
  };
  /** Wait for the other worker's next message of this type, handling batches meanwhile. */
  const waitFor = <K extends Message['type']>(type: K): Extract<Message, { type: K }> => {
    for (;;) {
      const received = receiveMessageOnPort(peer);
      if (received) {
        const message = handle(received.message as Message);
        if (message.type === type) return message as Extract<Message, { type: K }>;
        continue;
      }
      // Nothing yet: sleep until the other worker posts (a short timeout covers a post whose
      // count we saw before its message could be read).
      Atomics.wait(posted, me, seen, 10);
    }
  };

  try {
    model.initial(current);
    if (canonical) canonical(current, current);
    fingerprintWords(current, 0, words, fingerprint);
    if (fingerprint[0]! >>> 31 === me) {
      generated = 1;
      add(current, 0, fingerprint[0]!, fingerprint[1]!, -1, -1, 0);
    }
    let levelStart = 0;
    for (;;) {
      const levelEnd = count;
      for (let at = levelStart; at < levelEnd; at++) {
        for (let w = 0; w < words; w++) current[w] = store[at * words + w]!;
        expanding = at;
        successors = 0;
        model.successors(current, next, emit);
        if (successors === 0) terminal++;
        explored++;
        if (explored % POLL_EVERY === 0) drain();
      }
      flush();
      send({ type: 'done' });
      if (!peerDone) waitFor('done');
      peerDone = false;
      // Everything found from this level is stored: states [levelEnd, count) are the next level.
      const found = count - levelEnd;
      send({ type: 'level', found, states: count, violated: violations.length > 0 });
      const theirs = waitFor('level');
      otherStates = theirs.states;
      if (count + otherStates > maxStates) throw budget('states');
      if (found + theirs.found === 0) break;
      depth++;
      if (stopAtFirst && (violations.length > 0 || theirs.violated)) break;
      levelStart = levelEnd;
    }
  } catch (error) {
    if (!(error instanceof Aborted)) send({ type: 'abort' });
    throw error;
  }
  peakBytes = Math.max(peakBytes, usedMemory());
  return {
    count,
    store: store.slice(0, count * words),
    parent: parent.slice(0, count),
    parentWorker: parentWorker.slice(0, count),
    via: via.slice(0, count),
    generated,
    terminal,
    explored,
    depth,
    peakBytes,
    violations,
  };
}

if (!isMainThread && (workerData as Setup | undefined)?.kind === 'encoded-parallel') {
  const setup = workerData as Setup;
  try {
    const { model, invariants } = await loadModel(setup.source);
    const found = search(setup, model, invariants);
    parentPort!.postMessage({ found }, [found.store.buffer, found.parent.buffer, found.parentWorker.buffer, found.via.buffer] as ArrayBuffer[]);
  } catch (error) {
    const budget = error instanceof StateBudgetExceeded ? { maxStates: error.maxStates, depth: error.depth, progress: error.progress, kind: error.budget } : undefined;
    parentPort!.postMessage({ error: error instanceof Aborted ? 'aborted' : String((error as Error)?.stack ?? error), budget });
  }
}

/**
 * A worker's entry: registers tsx's loader, then imports this module. (Node 20 does not carry a
 * loader given by --import or module.register() over to worker threads, and a worker started on
 * a .ts file fails; so the entry is a data: URL that registers tsx in the worker itself.)
 */
function workerEntry(): URL {
  const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsx, 'dist/esm/api/index.mjs')).href;
  const code = `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(import.meta.url)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export async function exploreEncodedParallel<TReadable>(
  source: EncodedModelSource,
  options: Omit<EncodedOptions, 'invariants'> = {},
): Promise<EncodedExploration<TReadable>> {
  const started = performance.now();
  const { model, invariants } = await loadModel<TReadable>(source);
  const maxStates = options.maxStates ?? 50_000_000;
  const maxBytes = (options.maxHeapMb ?? 4096) * 2 ** 20;
  const canonical = options.symmetry ? model.canonical : undefined;
  if (options.symmetry && !canonical) throw new Error('symmetry reduction asked for, but the model has no canonical()');
  const posted = new SharedArrayBuffer(4 * WORKERS);
  const { port1, port2 } = new MessageChannel();
  const entry = workerEntry();
  const settled = await Promise.allSettled(
    [port1, port2].map(
      (peer, me) =>
        new Promise<Found>((resolve, reject) => {
          const setup: Setup = {
            kind: 'encoded-parallel',
            me,
            source,
            symmetry: options.symmetry ?? false,
            maxStates,
            maxBytes: maxBytes / WORKERS,
            stopAtFirst: options.stopAtFirstViolation ?? true,
            peer,
            posted,
          };
          const worker = new Worker(entry, { workerData: setup, transferList: [peer], execArgv: [] });
          worker.once('message', (reply: { found?: Found; error?: string; budget?: { maxStates: number; depth: number; progress: StateBudgetExceeded['progress']; kind: 'states' | 'memory' } }) => {
            if (reply.found) resolve(reply.found);
            else if (reply.budget) reject(new StateBudgetExceeded(reply.budget.maxStates, reply.budget.depth, reply.budget.progress, reply.budget.kind));
            else reject(new Error(reply.error === 'aborted' ? 'aborted' : `worker ${me}: ${reply.error}`));
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );

  // A worker stopped by the other's failure reports 'aborted': report the failure itself.
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (failures.length > 0) throw failures.find((error) => error.message !== 'aborted') ?? failures[0];
  const halves = settled.map((result) => (result as PromiseFulfilledResult<Found>).value);

  const { words } = model;
  const first = halves[0]!.count;
  const locate = (i: number): [number, number] => (i < first ? [0, i] : [1, i - first]);
  const stateAt = (i: number) => {
    const [w, local] = locate(i);
    return halves[w]!.store.slice(local * words, (local + 1) * words);
  };
  const pathTo = (i: number) => {
    const chain: { state: Uint32Array; action: number }[] = [];
    let [w, local] = locate(i);
    while (halves[w]!.parentWorker[local] !== -1) {
      const half = halves[w]!;
      chain.push({ state: half.store.slice(local * words, (local + 1) * words), action: half.via[local]! });
      [w, local] = [half.parentWorker[local]!, half.parent[local]!];
    }
    chain.reverse();
    return traceTo(model, canonical, halves[w]!.store.slice(local * words, (local + 1) * words), chain);
  };

  const violations: EncodedExploration<TReadable>['violations'] = [];
  for (const invariant of invariants) {
    const candidates = halves.flatMap((half, w) => half.violations.filter((v) => v.id === invariant.id).map((v) => ({ ...v, w })));
    if (candidates.length === 0) continue;
    const shallowest = candidates.reduce((a, b) => (b.depth < a.depth ? b : a));
    const { id, statement, task } = invariant;
    violations.push({ property: { id, statement, task }, trace: pathTo(shallowest.w === 0 ? shallowest.index : first + shallowest.index) });
  }
  const states = halves[0]!.count + halves[1]!.count;
  return {
    figures: {
      states,
      generated: halves[0]!.generated + halves[1]!.generated,
      transitions: halves[0]!.generated + halves[1]!.generated - 1,
      depth: halves[0]!.depth,
      terminal: halves[0]!.terminal + halves[1]!.terminal,
      ms: performance.now() - started,
      peakMemoryMb: (halves[0]!.peakBytes + halves[1]!.peakBytes) / 2 ** 20,
      symmetry: canonical !== undefined,
      fastPath: true,
      collisionProbability: collisionProbability(states),
    },
    violations,
    pathTo,
    stateAt,
  };
}
