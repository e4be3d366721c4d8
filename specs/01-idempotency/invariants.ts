/**
 * The invariants of the idempotency store, each with an id, a one-line statement and the
 * task it backs. The explorer checks them in every reachable state of a bounded config.
 */
import type { Invariant } from '../../tools/explore/explore.ts';
import type { IdempotencyContext } from '../../models/idempotency-store/machine.ts';

type Snapshot = { context: IdempotencyContext };

export const atMostOneCharge: Invariant<Snapshot> = {
  id: 'IDEM-1',
  statement: 'a charge happens at most once per operation within the key’s TTL',
  task: '1.1',
  holds: ({ context }) => context.charges.length <= 1,
};

export const retryGetsFirstResponse: Invariant<Snapshot> = {
  id: 'IDEM-2',
  statement: 'a retry that finds the key completed gets the first saved response replayed, never a new execution',
  task: '1.2',
  holds: ({ context }) =>
    context.arrivals.every((a) => a.found !== 'completed' || a.body !== a.foundBody || a.steps.includes('replay_saved_response')),
};

export const mismatchedBodyRefused: Invariant<Snapshot> = {
  id: 'IDEM-3',
  statement: 'a request that reuses a live key with different parameters is refused and never charges',
  task: '1.2',
  holds: ({ context }) =>
    context.arrivals.every(
      (a) =>
        a.foundBody === null ||
        a.body === a.foundBody ||
        (a.steps.includes('return_parameters_error') && !context.charges.some((c) => c.attempt === a.attempt)),
    ),
};

export const concurrentRetryNeverCharges: Invariant<Snapshot> = {
  id: 'IDEM-4',
  statement: 'a retry that arrives while another request holds the key’s lock gets 409 Conflict and never charges',
  task: '1.2',
  holds: ({ context }) =>
    context.arrivals.every(
      (a) =>
        a.found !== 'locked' ||
        a.body !== a.foundBody ||
        (a.steps.includes('return_conflict') && !context.charges.some((c) => c.attempt === a.attempt)),
    ),
};

export const idempotencyInvariants = [atMostOneCharge, retryGetsFirstResponse, mismatchedBodyRefused, concurrentRetryNeverCharges];
