/**
 * The fast path: one step of a flat machine computed directly from its guards and `assign`
 * actions, without going through xstate's `transition()`.
 *
 * Why: on the workbook's models xstate spends ~20 µs computing an enabled transition (it builds
 * an actor scope, microsteps, entry/exit sets, a new snapshot with a fresh tag set), while the
 * guards and assignments themselves cost well under a microsecond. For a machine whose states
 * are all atomic (or final, ending the machine), with no entry/exit actions, no `always`, `after` or `invoke`, and whose
 * transitions run only `assign` actions, a step is exactly: pick the first candidate
 * transition whose guard holds (the state's own, then the root's), apply its assignments in
 * order, and move to its target. That is what this module does, and only for such machines;
 * `compileFastStep` says why when a machine does not qualify, and the explorer then uses xstate.
 *
 * `tests/explore/fast-path.test.ts` checks it against xstate's own `transition()` on every
 * state and every candidate event of every model in `models/`.
 */
import { initialTransition, type AnyStateMachine } from 'xstate';

/**
 * The next snapshot after `event`, or `null` when no transition is enabled (xstate would
 * return the snapshot unchanged and report no transition data).
 */
export type FastStep<TSnapshot, TEvent> = (snapshot: TSnapshot, event: TEvent) => TSnapshot | null;

type Context = Record<string, unknown>;
type Event = { type: string };
type MachineSnapshot = { value: unknown; context: Context; _nodes: unknown; tags: unknown; status: unknown; output: unknown };
type GuardCheck = (context: Context, event: Event, snapshot: MachineSnapshot) => boolean;
type Assignment = (context: Context, event: Event) => Context;

/** A transition reduced to what a step needs. */
interface CompiledTransition {
  guard: GuardCheck | undefined;
  assignments: Assignment[];
  /** Value, nodes, tags and status of the target state; undefined for a targetless transition. */
  target: Pick<MachineSnapshot, 'value' | '_nodes' | 'tags' | 'status' | 'output'> | undefined;
}

// xstate's StateNode and TransitionDefinition, only the fields read here (they are public
// properties, but typed loosely in xstate's declarations).
interface Node {
  key: string;
  type: string;
  states: Record<string, Node>;
  entry: unknown[];
  exit: unknown[];
  always?: unknown[];
  invoke: unknown[];
  after: unknown[];
  transitions: Map<string, TransitionDefinition[]>;
}
interface TransitionDefinition {
  target?: readonly Node[];
  guard?: unknown;
  actions: readonly unknown[];
}
type Implementations = { guards: Record<string, unknown>; actions: Record<string, unknown> };

/** Why a machine cannot take the fast path; thrown while compiling, caught by `compileFastStep`. */
class NotFlat extends Error {}

const noSpawn = () => {
  throw new Error('the explorer\'s fast path cannot spawn actors; pass { fastPath: false }');
};

function compileGuard(guard: unknown, implementations: Implementations): GuardCheck | undefined {
  if (guard === undefined) return undefined;
  const isInline = typeof guard === 'function';
  const name = typeof guard === 'string' ? guard : (guard as { type?: string }).type;
  const resolved = isInline ? guard : implementations.guards[name ?? ''];
  if (typeof resolved !== 'function') throw new NotFlat(`guard '${String(name)}' is not a function`);
  // Built-in combinators (and, or, not, stateIn) evaluate their operands through xstate itself.
  if ('check' in resolved) {
    const builtin = resolved as { check: (s: unknown, args: unknown, self: unknown) => boolean };
    return (context, event, snapshot) => builtin.check(snapshot, { context, event }, builtin);
  }
  const fn = resolved as (args: { context: Context; event: Event }, params: unknown) => boolean;
  const params = isInline || typeof guard === 'string' ? undefined : (guard as { params?: unknown }).params;
  if (typeof params === 'function') {
    return (context, event) => fn({ context, event }, params({ context, event }));
  }
  return (context, event) => fn({ context, event }, params);
}

function compileAction(action: unknown, implementations: Implementations): Assignment {
  const isInline = typeof action === 'function';
  const name = typeof action === 'string' ? action : (action as { type?: string }).type;
  const resolved = (isInline ? action : implementations.actions[name ?? '']) as
    | { type?: string; assignment?: unknown }
    | undefined;
  if (resolved?.type !== 'xstate.assign' || resolved.assignment === undefined) {
    throw new NotFlat(`action '${String(name ?? '(inline)')}' is not an assign`);
  }
  const rawParams = isInline || typeof action === 'string' ? undefined : (action as { params?: unknown }).params;
  const paramsOf =
    typeof rawParams === 'function'
      ? (context: Context, event: Event) => rawParams({ context, event })
      : () => rawParams;
  const assignment = resolved.assignment;
  // The same arguments and the same merge as xstate's resolveAssign.
  if (typeof assignment === 'function') {
    return (context, event) =>
      Object.assign({}, context, assignment({ context, event, spawn: noSpawn }, paramsOf(context, event)));
  }
  const entries = Object.entries(assignment as Record<string, unknown>);
  return (context, event) => {
    const params = paramsOf(context, event);
    const partial: Context = {};
    for (const [key, value] of entries) {
      partial[key] = typeof value === 'function' ? value({ context, event, spawn: noSpawn }, params) : value;
    }
    return Object.assign({}, context, partial);
  };
}

function checkNodeIsPlain(node: Node): void {
  if (node.entry.length > 0 || node.exit.length > 0) throw new NotFlat(`state '${node.key}' has entry/exit actions`);
  if (node.always && node.always.length > 0) throw new NotFlat(`state '${node.key}' has eventless transitions`);
  if (node.invoke.length > 0) throw new NotFlat(`state '${node.key}' invokes actors`);
  if (node.after.length > 0) throw new NotFlat(`state '${node.key}' has delayed transitions`);
}

/**
 * Compile a machine's step, or say why it cannot be compiled. The result must agree with
 * `transition(machine, snapshot, event)` on every snapshot of the machine (the differential
 * test's claim).
 */
export function compileFastStep<TSnapshot, TEvent>(
  machine: AnyStateMachine,
): { step: FastStep<TSnapshot, TEvent>; reason?: undefined } | { step?: undefined; reason: string } {
  try {
    return { step: compile(machine) as unknown as FastStep<TSnapshot, TEvent> };
  } catch (error) {
    if (error instanceof NotFlat) return { reason: error.message };
    throw error;
  }
}

function compile(machine: AnyStateMachine): FastStep<MachineSnapshot, Event> {
  const root = machine.root as unknown as Node;
  const implementations = machine.implementations as unknown as Implementations;
  if (root.type !== 'compound' && root.type !== 'atomic') throw new NotFlat(`the root is ${root.type}`);
  checkNodeIsPlain(root);
  const leaves = root.type === 'atomic' ? [root] : Object.values(root.states);
  for (const leaf of leaves) {
    if (leaf.type !== 'atomic' && leaf.type !== 'final') throw new NotFlat(`state '${leaf.key}' is ${leaf.type}`);
    checkNodeIsPlain(leaf);
  }
  // Entering a final state ends the machine (status 'done'); its output would depend on the
  // context, and a root transition would still be offered in it: neither is handled here.
  if (leaves.some((leaf) => leaf.type === 'final')) {
    if ((machine.config as { output?: unknown }).output !== undefined) throw new NotFlat('the machine has an output');
    if (root.transitions.size > 0) throw new NotFlat('the root has transitions and the machine can finish');
  }

  // Target templates: the value, nodes, tags and status of each leaf, as xstate resolves them.
  const templates = new Map<Node, CompiledTransition['target']>();
  for (const leaf of leaves) {
    const resolved = machine.resolveState({ value: leaf === root ? {} : leaf.key, context: {} }) as unknown as MachineSnapshot;
    const { value, _nodes, tags, status, output } = resolved;
    templates.set(leaf, { value, _nodes, tags, status, output });
  }

  const compileTransitions = (node: Node): Map<string, CompiledTransition[]> => {
    const byType = new Map<string, CompiledTransition[]>();
    for (const [descriptor, definitions] of node.transitions) {
      if (descriptor.includes('*')) throw new NotFlat(`state '${node.key}' has a wildcard transition`);
      byType.set(
        descriptor,
        definitions.map((definition) => {
          const targets = definition.target ?? [];
          if (targets.length > 1) throw new NotFlat(`a '${descriptor}' transition has several targets`);
          const target = targets.length === 1 ? templates.get(targets[0]!) : undefined;
          if (targets.length === 1 && target === undefined) throw new NotFlat(`a '${descriptor}' target is not a leaf`);
          return {
            guard: compileGuard(definition.guard, implementations),
            assignments: definition.actions.map((action) => compileAction(action, implementations)),
            target,
          };
        }),
      );
    }
    return byType;
  };

  // A leaf's candidates for an event type: its own transitions, then the root's (xstate tries
  // the root only when none of the leaf's is enabled, which the concatenation reproduces).
  const rootTransitions = compileTransitions(root);
  const candidates = new Map<unknown, Map<string, CompiledTransition[]>>();
  for (const leaf of leaves) {
    if (leaf === root) {
      candidates.set(templates.get(root)!.value, rootTransitions);
      continue;
    }
    const own = compileTransitions(leaf);
    for (const [type, list] of rootTransitions) own.set(type, [...(own.get(type) ?? []), ...list]);
    candidates.set(leaf.key, own);
  }
  const rootKey = root.type === 'atomic' ? templates.get(root)!.value : undefined;
  const withContext = snapshotBuilder(machine);

  return (snapshot, event) => {
    const byType = candidates.get(rootKey ?? snapshot.value);
    const list = byType?.get(event.type);
    if (list === undefined) return null;
    for (const transition of list) {
      if (transition.guard && !transition.guard(snapshot.context, event, snapshot)) continue;
      let context = snapshot.context;
      for (const assign of transition.assignments) context = assign(context, event);
      return transition.target ? { ...snapshot, ...transition.target, context } : withContext(snapshot, context);
    }
    return null;
  };
}

/** The fields of an xstate 5 machine snapshot, in the order `createMachineSnapshot` writes them. */
const SNAPSHOT_FIELDS =
  'status,output,error,machine,context,_nodes,value,tags,children,historyValue,matches,hasTag,can,getMeta,toJSON';

/**
 * A copy of a snapshot with another context. Most successors are states already seen, so this
 * runs for every transition: an object literal of a fixed shape is cheaper than a spread. Used
 * only if xstate's snapshots have exactly the fields expected; otherwise, a spread.
 */
function snapshotBuilder(machine: AnyStateMachine): (snapshot: MachineSnapshot, context: Context) => MachineSnapshot {
  const fields = Object.keys(initialTransition(machine as AnyStateMachine)[0] as object).join(',');
  if (fields !== SNAPSHOT_FIELDS) return (snapshot, context) => ({ ...snapshot, context });
  return (s, context) => {
    const snapshot = s as MachineSnapshot & Record<string, unknown>;
    return {
      status: snapshot.status,
      output: snapshot.output,
      error: snapshot.error,
      machine: snapshot.machine,
      context,
      _nodes: snapshot._nodes,
      value: snapshot.value,
      tags: snapshot.tags,
      children: snapshot.children,
      historyValue: snapshot.historyValue,
      matches: snapshot.matches,
      hasTag: snapshot.hasTag,
      can: snapshot.can,
      getMeta: snapshot.getMeta,
      toJSON: snapshot.toJSON,
    };
  };
}
