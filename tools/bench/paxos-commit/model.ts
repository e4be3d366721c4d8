/**
 * Paxos Commit (Gray and Lamport, "Consensus on Transaction Commit", 2006) as a compact state
 * encoding for the explorer's bench, written from Lamport's TLA+ specification
 * `PaxosCommit.tla` in github.com/tlaplus/Examples (specifications/transaction_commit), at the
 * configuration of its `PaxosCommit.cfg`: two resource managers, three acceptors, the three
 * two-acceptor majorities, ballots {0, 1}. That repository's manifest.json publishes TLC's
 * figures for it (1,321,761 distinct states, 16,959,159 generated, depth 28, runtime 1 min),
 * which `tests/explore/paxos-commit.slow.test.ts` compares with the explorer's.
 *
 * As in the spec, `msgs` is the set of every message ever sent (it only grows), receipt is not
 * modelled (an action is enabled once the messages it needs are in the set), and leader actions
 * may be taken by anyone. Each instance `ins` of Paxos decides one RM's prepared/aborted vote.
 *
 * Encoding: three 32-bit words.
 * - word `ins` (0, 1): one 10-bit slot per acceptor `a` at bit 10·a, for instance `ins`:
 *   bit 0 `mbal`; bits 1–3 (`bal`, `val`): 0 = (−1, none), 1 + 2·bal + v (v: 0 prepared,
 *   1 aborted); bits 4–5 the phase 1b message this acceptor sent for ballot 1 (0 none, else
 *   1 + the (bal, val) code it carried, which is at most 2: only an acceptor with mbal 0 sends
 *   one); bits 6–9 the phase 2b messages it sent, one bit per (bal, v).
 * - word 2: per instance, 8 bits at 8·ins: bits 0–1 the RM's state (working, prepared,
 *   committed, aborted), bit 2 the phase 1a message for ballot 1, bits 3–6 the phase 2a
 *   messages, one bit per (bal, v); bit 16 Commit, bit 17 Abort.
 * Acceptors are interchangeable (the majorities are all two-acceptor sets) and so are the RMs:
 * `canonical` sorts the acceptors' slots and tries both orders of the RMs.
 */
import type { EncodedInvariant, EncodedModel } from '../../explore/encoded.ts';

export const RMS = 2;
export const ACCEPTORS = 3;
/** Ballot numbers: 0 (the RMs' own phase 2a) and 1 (a leader's). */
export const BALLOTS = 2;

export type RmState = 'working' | 'prepared' | 'committed' | 'aborted';
const RM_STATES: RmState[] = ['working', 'prepared', 'committed', 'aborted'];
const WORKING = 0;
const PREPARED = 1;
const COMMITTED = 2;
const ABORTED = 3;
const VALUES = ['prepared', 'aborted'] as const;
const COMMIT = 1 << 16;
const ABORT = 1 << 17;

export interface PaxosCommitConfig {
  /** The sets of acceptors that count as a majority, as bit masks (bit a = acceptor a). */
  majorities: readonly number[];
}

/** The published configuration: every two of the three acceptors. */
export const tlaExamplesConfig: PaxosCommitConfig = { majorities: [0b011, 0b101, 0b110] };

export interface AcceptorState {
  mbal: number;
  bal: number;
  val: 'prepared' | 'aborted' | 'none';
}
export interface PaxosCommitState {
  rmState: RmState[];
  /** aState[ins][acc] */
  aState: AcceptorState[][];
  msgs: string[];
}

const slot = (word: number, acc: number) => (word >>> (10 * acc)) & 0x3ff;
const withSlot = (word: number, acc: number, value: number) => (word & ~(0x3ff << (10 * acc))) | (value << (10 * acc));
const balOf = (bv: number) => (bv === 0 ? -1 : (bv - 1) >> 1);
const valOf = (bv: number) => (bv - 1) & 1;

/** Action names, indexed by the numbers `successors` emits. */
const actions: string[] = [];
const action = (name: string) => actions.push(name) - 1;
const rmAction = (name: string) => Array.from({ length: RMS }, (_, rm) => action(`${name}(r${rm + 1})`));
const RM_PREPARE = rmAction('RMPrepare');
const RM_CHOOSE_TO_ABORT = rmAction('RMChooseToAbort');
const RM_RCV_COMMIT = rmAction('RMRcvCommitMsg');
const RM_RCV_ABORT = rmAction('RMRcvAbortMsg');
const PHASE_1A = rmAction('Phase1a(1, ·)');
const PHASE_2A = rmAction('Phase2a(1, ·)');
const DECIDE_COMMIT = action('Decide (Commit)');
const DECIDE_ABORT = action('Decide (Abort)');
const PHASE_1B = Array.from({ length: ACCEPTORS }, (_, acc) => rmAction(`Phase1b(a${acc + 1}) on phase1a`));
const PHASE_2B = Array.from({ length: ACCEPTORS }, (_, acc) => rmAction(`Phase2b(a${acc + 1}) on phase2a`));

/** How many (ballot, majority) pairs show instance `ins` chose value v (0 prepared, 1 aborted). */
function decisions(word: number, v: number, majorities: readonly number[]): number {
  let ways = 0;
  for (let bal = 0; bal < BALLOTS; bal++) {
    const bit = 1 << (6 + 2 * bal + v);
    let voted = 0;
    for (let acc = 0; acc < ACCEPTORS; acc++) if (slot(word, acc) & bit) voted |= 1 << acc;
    for (const majority of majorities) if ((voted & majority) === majority) ways++;
  }
  return ways;
}

export function createPaxosCommitModel(config: PaxosCommitConfig = tlaExamplesConfig): EncodedModel<PaxosCommitState> {
  const { majorities } = config;

  // `put` writes one successor. Made once per model, not per call of `successors`: a closure
  // made per state cost about a third of the run's CPU (1.9 s against 1.2 s, measured).
  let from: Uint32Array = new Uint32Array(3);
  let into: Uint32Array = new Uint32Array(3);
  let found: (action: number) => void = () => undefined;
  const put = (ins: number, word: number, third: number, act: number) => {
    into[0] = ins === 0 ? word : from[0]!;
    into[1] = ins === 1 ? word : from[1]!;
    into[2] = third;
    found(act);
  };

  const successors: EncodedModel<PaxosCommitState>['successors'] = (state, next, emit) => {
    from = state;
    into = next;
    found = emit;
    const w2 = state[2]!;
    for (let rm = 0; rm < RMS; rm++) {
      const shift = 8 * rm;
      const rmState = (w2 >>> shift) & 3;
      const others = w2 & ~(3 << shift);
      if (rmState === WORKING) {
        // Votes as a phase 2a message of ballot 0 (v = 0 prepared, 1 aborted).
        put(rm, state[rm]!, others | (PREPARED << shift) | (1 << (shift + 3)), RM_PREPARE[rm]!);
        put(rm, state[rm]!, others | (ABORTED << shift) | (1 << (shift + 4)), RM_CHOOSE_TO_ABORT[rm]!);
      }
      if (w2 & COMMIT) put(rm, state[rm]!, others | (COMMITTED << shift), RM_RCV_COMMIT[rm]!);
      if (w2 & ABORT) put(rm, state[rm]!, others | (ABORTED << shift), RM_RCV_ABORT[rm]!);
    }
    // Leader actions for ballot 1 (the only ballot other than 0).
    for (let rm = 0; rm < RMS; rm++) {
      const shift = 8 * rm;
      put(rm, state[rm]!, w2 | (1 << (shift + 2)), PHASE_1A[rm]!);
    }
    for (let rm = 0; rm < RMS; rm++) {
      const shift = 8 * rm;
      if (w2 & (0b1100 << (shift + 3))) continue; // a phase 2a of ballot 1 was sent already
      const word = state[rm]!;
      for (const majority of majorities) {
        let heard = true;
        let maxBal = -1;
        let val = 1; // "aborted" when no acceptor of the majority voted
        for (let acc = 0; acc < ACCEPTORS && heard; acc++) {
          if (!(majority & (1 << acc))) continue;
          const reported = (slot(word, acc) >>> 4) & 3;
          if (reported === 0) heard = false;
          else if (balOf(reported - 1) > maxBal) {
            maxBal = balOf(reported - 1);
            val = valOf(reported - 1);
          }
        }
        if (heard) put(rm, word, w2 | (1 << (shift + 3 + 2 + val)), PHASE_2A[rm]!);
      }
    }
    // Decide: each witness of the quantifiers (RM, ballot, majority) counts as its own, equal,
    // successor; counted so, the generated total is exactly TLC's published one.
    let commitWays = 1;
    let abortWays = 0;
    for (let rm = 0; rm < RMS; rm++) {
      commitWays *= decisions(state[rm]!, 0, majorities);
      abortWays += decisions(state[rm]!, 1, majorities);
    }
    for (let i = 0; i < commitWays; i++) put(0, state[0]!, w2 | COMMIT, DECIDE_COMMIT);
    for (let i = 0; i < abortWays; i++) put(0, state[0]!, w2 | ABORT, DECIDE_ABORT);
    // Acceptor actions.
    for (let acc = 0; acc < ACCEPTORS; acc++) {
      for (let ins = 0; ins < RMS; ins++) {
        if (!(w2 & (1 << (8 * ins + 2)))) continue; // no phase 1a for this instance
        const a = slot(state[ins]!, acc);
        if (a & 1) continue; // mbal is 1 already
        const bv = (a >>> 1) & 7;
        put(ins, withSlot(state[ins]!, acc, (a | 1) | ((1 + bv) << 4)), w2, PHASE_1B[acc]![ins]!);
      }
    }
    for (let acc = 0; acc < ACCEPTORS; acc++) {
      for (let ins = 0; ins < RMS; ins++) {
        const sent = (w2 >>> (8 * ins + 3)) & 0xf;
        if (sent === 0) continue;
        const a = slot(state[ins]!, acc);
        for (let bal = 0; bal < BALLOTS; bal++) {
          if ((a & 1) > bal) continue; // mbal > bal
          for (let v = 0; v < 2; v++) {
            if (!(sent & (1 << (2 * bal + v)))) continue;
            const voted = (a & 0b110000) | bal | ((1 + 2 * bal + v) << 1) | (a & 0x3c0) | (1 << (6 + 2 * bal + v));
            put(ins, withSlot(state[ins]!, acc, voted), w2, PHASE_2B[acc]![ins]!);
          }
        }
      }
    }
  };

  return {
    words: 3,
    actions,
    initial(out) {
      out.fill(0);
    },
    successors,
    decode,
    canonical,
  };
}

/** The state in the spec's terms: RM states, acceptor states per instance, messages sent. */
function decode(state: Uint32Array): PaxosCommitState {
  const w2 = state[2]!;
  const msgs: string[] = [];
  const aState: AcceptorState[][] = [];
  for (let ins = 0; ins < RMS; ins++) {
    const part = (w2 >>> (8 * ins)) & 0xff;
    if (part & 4) msgs.push(`phase1a(r${ins + 1}, 1)`);
    for (let bal = 0; bal < BALLOTS; bal++)
      for (let v = 0; v < 2; v++) if (part & (1 << (3 + 2 * bal + v))) msgs.push(`phase2a(r${ins + 1}, ${bal}, ${VALUES[v]})`);
    const row: AcceptorState[] = [];
    for (let acc = 0; acc < ACCEPTORS; acc++) {
      const a = slot(state[ins]!, acc);
      const bv = (a >>> 1) & 7;
      row.push({ mbal: a & 1, bal: balOf(bv), val: bv === 0 ? 'none' : VALUES[valOf(bv)]! });
      const reported = (a >>> 4) & 3;
      if (reported) {
        const rbv = reported - 1;
        msgs.push(`phase1b(r${ins + 1}, 1, ${balOf(rbv)}, ${rbv === 0 ? 'none' : VALUES[valOf(rbv)]}, a${acc + 1})`);
      }
      for (let bal = 0; bal < BALLOTS; bal++)
        for (let v = 0; v < 2; v++) if (a & (1 << (6 + 2 * bal + v))) msgs.push(`phase2b(a${acc + 1}, r${ins + 1}, ${bal}, ${VALUES[v]})`);
    }
    aState.push(row);
  }
  if (w2 & COMMIT) msgs.push('Commit');
  if (w2 & ABORT) msgs.push('Abort');
  const rmState = Array.from({ length: RMS }, (_, rm) => RM_STATES[(w2 >>> (8 * rm)) & 3]!);
  return { rmState, aState, msgs };
}

// Symmetry: sort the acceptors by their (instance 0, instance 1) slots, for both orders of the
// RMs, and keep the smaller result. Sorting three keys is three compare-and-swaps.
const sorted = new Float64Array(ACCEPTORS);
function sortAcceptors(first: number, second: number, third: number, out: Uint32Array): void {
  for (let acc = 0; acc < ACCEPTORS; acc++) sorted[acc] = slot(first, acc) * 1024 + slot(second, acc);
  let t: number;
  if (sorted[0]! > sorted[1]!) ((t = sorted[0]!), (sorted[0] = sorted[1]!), (sorted[1] = t));
  if (sorted[1]! > sorted[2]!) ((t = sorted[1]!), (sorted[1] = sorted[2]!), (sorted[2] = t));
  if (sorted[0]! > sorted[1]!) ((t = sorted[0]!), (sorted[0] = sorted[1]!), (sorted[1] = t));
  let a = 0;
  let b = 0;
  for (let acc = 0; acc < ACCEPTORS; acc++) {
    a |= (sorted[acc]! >>> 10) << (10 * acc);
    b |= (sorted[acc]! & 0x3ff) << (10 * acc);
  }
  out[0] = a >>> 0;
  out[1] = b >>> 0;
  out[2] = third;
}
const swapped = new Uint32Array(3);
function canonical(state: Uint32Array, out: Uint32Array): void {
  const w0 = state[0]!;
  const w1 = state[1]!;
  const w2 = state[2]!;
  const rmsSwapped = (w2 & 0xffff0000) | ((w2 & 0xff) << 8) | ((w2 >>> 8) & 0xff);
  sortAcceptors(w1, w0, rmsSwapped >>> 0, swapped);
  sortAcceptors(w0, w1, w2, out);
  const smaller =
    swapped[0]! < out[0]! || (swapped[0] === out[0] && (swapped[1]! < out[1]! || (swapped[1] === out[1] && swapped[2]! < out[2]!)));
  if (smaller) out.set(swapped);
}

/** TCommit's consistency (which Paxos Commit implements), and consensus on the decision. */
export const invariants: EncodedInvariant[] = [
  {
    id: 'PC-TC',
    statement: 'No resource manager has committed while another has aborted (TCConsistent).',
    task: 'bench',
    holds(state) {
      let committed = false;
      let aborted = false;
      for (let rm = 0; rm < RMS; rm++) {
        const rmState = (state[2]! >>> (8 * rm)) & 3;
        if (rmState === COMMITTED) committed = true;
        if (rmState === ABORTED) aborted = true;
      }
      return !(committed && aborted);
    },
  },
  {
    id: 'PC-DECISION',
    statement: 'A leader never announces both Commit and Abort.',
    task: 'bench',
    holds: (state) => (state[2]! & (COMMIT | ABORT)) !== (COMMIT | ABORT),
  },
];
