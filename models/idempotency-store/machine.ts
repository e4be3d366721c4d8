/**
 * The idempotency store, with the payment API around it, the merchant's client in front and
 * the card network behind it.
 *
 * One flat machine: the protocol lives in context and every step of every actor is a guarded
 * event, so that the explorer tries every interleaving of the client, the network, the API,
 * the card network and the clock. Time moves only by `TIME_PASSES`, which jumps to the next
 * deadline (a client timeout, a scheduled retry, a lock timeout, a key's expiry); a timed event
 * that is due must fire before time moves on. The card network answers whenever it likes: a
 * call may take longer than any timeout.
 *
 * The API does its work in atomic phases with recovery points, as in brandur.org/idempotency-keys:
 *   phase 1 (one database transaction): claim the key (or find it) and lock it; recovery point `started`;
 *   the foreign call, outside any transaction: charge the card at the card network;
 *   phase 2 (one database transaction): save the result under the key; recovery point `finished`.
 * The charge is a foreign state mutation: it cannot commit in the same transaction as the key,
 * so a crash between the card network's approval and phase 2 leaves a charge with no saved
 * result, and a lock that times out while its request still runs lets a second request resume.
 * Only the card network can tell a repeated call from a new one: by a downstream idempotency key.
 *
 * Stripe's documented result rules are the reference (https://docs.stripe.com/api/idempotent_requests):
 * the first result is saved once the endpoint has begun executing and replayed, 500s included;
 * a request that fails validation, or arrives while another with the same key executes (409),
 * saves nothing; a retry whose parameters differ from the saved request's is refused.
 */
import { assign, setup } from 'xstate';
import { idempotencyScenario } from './scenario.ts';

/** The parameters of a charge request: the original ones, changed ones (a client bug), or invalid ones. */
export type Body = 'original' | 'changed' | 'invalid';

/**
 * How the API makes its foreign call to the card network.
 * - `downstream_key`: it passes a key derived from the key's record; the card network charges
 *   at most once per downstream key and replays its first answer (brandur's design).
 * - `no_downstream_key`: it calls the card network with no key.
 * - `own_lock_check`: no downstream key, but the API checks that it still holds the key's lock
 *   before calling and before saving (a check by the lock holder, not fencing: the card network
 *   cannot refuse a stale holder; Kleppmann, "How to do distributed locking", 2016).
 */
export type ApiDesign = 'downstream_key' | 'no_downstream_key' | 'own_lock_check';

export interface IdempotencyConfig {
  /** The key the client sends with attempt n (1-based); `null` sends no key at all. */
  keyForAttempt: ((attempt: number) => string) | null;
  apiDesign: ApiDesign;
  /** How long a completed key is kept, in seconds (Stripe: at least 24 hours). */
  ttlSeconds: number;
  /** After this long a key's lock is released, whether or not its request still runs, in seconds. */
  lockTimeoutSeconds: number;
  /** The client gives up waiting for a response after this long, in seconds. */
  clientTimeoutSeconds: number;
  /** Delay before attempt n+1 after attempt n timed out, met a conflict or failed validation. */
  retryDelaysSeconds: readonly number[];
  /** What the first attempt sends: the original parameters, or parameters that fail validation. */
  firstBody: 'original' | 'invalid';
  /** What the retries send: the original parameters, or (a client bug) changed ones. */
  retryBody: 'original' | 'changed';
  /** How many times the API server may crash while it holds requests in memory. */
  maxCrashes: number;
  /** May the card network fail a charge (the API then saves and replays a 500)? */
  cardNetworkMayFail: boolean;
  /** The charge's amount, in minor units (cents). */
  amountMinor: number;
}

/** The scenario of the exercise, its figures from `scenario.ts`: one retry after a timeout. */
export const scenarioConfig: IdempotencyConfig = {
  keyForAttempt: () => 'order_1842_charge',
  apiDesign: 'downstream_key',
  ttlSeconds: idempotencyScenario.keyTtlHours * 3600,
  lockTimeoutSeconds: idempotencyScenario.lockTimeoutSeconds,
  clientTimeoutSeconds: idempotencyScenario.clientTimeoutSeconds,
  retryDelaysSeconds: [idempotencyScenario.retryDelaySeconds],
  firstBody: 'original',
  retryBody: 'original',
  maxCrashes: 0,
  cardNetworkMayFail: false,
  amountMinor: idempotencyScenario.amountMinor,
};

export type HttpStatus = 200 | 400 | 409 | 500;

/** Why a 400: the request failed validation, or reused a key with other parameters. */
export type Refusal = 'validation' | 'parameters_differ';

export interface Response {
  attempt: number;
  status: HttpStatus;
  refusal?: Refusal;
  /** The charge this response reports, if any. */
  chargeId: number | null;
  /** Sent from the saved result rather than computed now (Stripe's `Idempotent-Replayed`). */
  replayed: boolean;
}

export interface Request {
  attempt: number;
  key: string | null;
  body: Body;
}

export type SavedResult = Pick<Response, 'status' | 'chargeId'>;

/**
 * One key's record: absent (no record) → `locked` (recovery point `started`, lock held) →
 * `completed` (result saved, recovery point `finished`) → `expired`. A lock that times out
 * leaves `unlocked` (recovery point `started`, no holder): the next request with the key resumes.
 */
export type KeyRecord =
  | { status: 'locked'; body: Body; owner: number; lockedAt: number; downstreamKey: string }
  | { status: 'unlocked'; body: Body; downstreamKey: string }
  | { status: 'completed'; body: Body; completedAt: number; result: SavedResult; savedBy: number }
  | { status: 'expired' };

export type KeyStatus = 'absent' | KeyRecord['status'];

/** The server's steps for one request, in the order the model takes them (its own vocabulary). */
export type ServerStep =
  | 'validate_parameters'
  | 'look_up_key'
  | 'compare_parameters'
  | 'lock_key'
  | 'process_request'
  | 'return_validation_error'
  | 'return_conflict'
  | 'return_parameters_error'
  | 'replay_saved_response';

/** What the server found and decided when a request arrived (phase 1). */
export interface Arrival {
  attempt: number;
  at: number;
  body: Body;
  /** The key's status on arrival; `no_key` when the request carried none. */
  found: KeyStatus | 'no_key';
  /** The parameters on record for the key, if it had a live record. */
  foundBody: Body | null;
  steps: ServerStep[];
}

/** A charge at the card network: money taken from the customer. */
export interface Charge {
  id: number;
  attempt: number;
  downstreamKey: string | null;
  at: number;
  amountMinor: number;
}

/** A call from the API to the card network, not yet answered. */
export interface NetworkCall {
  attempt: number;
  downstreamKey: string | null;
}

export type NetworkAnswer = { approved: true; chargeId: number } | { approved: false };

/** A request the API server holds in memory: lost in a crash. */
export interface InProgress extends Request {
  stage: 'claimed' | 'calling_card_network' | 'answered';
  answer: NetworkAnswer | null;
  downstreamKey: string | null;
}

export type ClientPhase = 'ready' | 'waiting' | 'backing_off' | 'done';

export interface IdempotencyContext {
  now: number;
  client: {
    attempt: number;
    phase: ClientPhase;
    /** When the current wait started, or when the scheduled retry is due. */
    since: number;
    /** The response the client ended with, or null if it gave up without one. */
    result: Response | null;
  };
  requests: Request[];
  responses: Response[];
  store: Record<string, KeyRecord>;
  processing: InProgress[];
  /** The card network's calls in progress: they go on when the API server crashes. */
  networkCalls: NetworkCall[];
  /** The card network's own idempotency: its first answer per downstream key. */
  networkAnswers: Record<string, NetworkAnswer>;
  charges: Charge[];
  arrivals: Arrival[];
  crashes: number;
}

export type IdempotencyEvent =
  | { type: 'CLIENT_SENDS' }
  | { type: 'REQUEST_ARRIVES'; attempt: number }
  | { type: 'API_CALLS_CARD_NETWORK'; attempt: number }
  | { type: 'CARD_NETWORK_APPROVES'; attempt: number }
  | { type: 'CARD_NETWORK_FAILS'; attempt: number }
  | { type: 'API_SAVES_RESULT'; attempt: number }
  | { type: 'SERVER_CRASHES' }
  | { type: 'RESPONSE_ARRIVES'; attempt: number }
  | { type: 'CLIENT_TIMES_OUT' }
  | { type: 'LOCK_TIMES_OUT'; key: string }
  | { type: 'KEY_EXPIRES'; key: string }
  | { type: 'TIME_PASSES' };

const attemptsAllowed = (config: IdempotencyConfig) => 1 + config.retryDelaysSeconds.length;

const bodyOf = (config: IdempotencyConfig, attempt: number): Body => (attempt === 1 ? config.firstBody : config.retryBody);

/** Every instant at which some timed event becomes due. */
export function deadlines(context: IdempotencyContext, config: IdempotencyConfig): number[] {
  const due: number[] = [];
  const { client } = context;
  if (client.phase === 'waiting') due.push(client.since + config.clientTimeoutSeconds);
  if (client.phase === 'backing_off') due.push(client.since);
  for (const record of Object.values(context.store)) {
    if (record.status === 'locked') due.push(record.lockedAt + config.lockTimeoutSeconds);
    if (record.status === 'completed') due.push(record.completedAt + config.ttlSeconds);
  }
  return due;
}

/** Phase 1's decision for an arriving request, as Stripe documents it. */
export function decide(request: Request, record: KeyRecord | undefined): Pick<Arrival, 'found' | 'foundBody' | 'steps'> {
  // Validation comes before the idempotency layer: a request that fails it saves nothing.
  if (request.body === 'invalid') return { found: request.key === null ? 'no_key' : record?.status ?? 'absent', foundBody: null, steps: ['validate_parameters', 'return_validation_error'] };
  if (request.key === null) return { found: 'no_key', foundBody: null, steps: ['validate_parameters', 'process_request'] };
  if (record === undefined || record.status === 'expired') {
    return { found: record?.status ?? 'absent', foundBody: null, steps: ['validate_parameters', 'look_up_key', 'lock_key', 'process_request'] };
  }
  const found = record.status;
  const seen: ServerStep[] = ['validate_parameters', 'look_up_key', 'compare_parameters'];
  if (record.body !== request.body) return { found, foundBody: record.body, steps: [...seen, 'return_parameters_error'] };
  if (record.status === 'locked') return { found, foundBody: record.body, steps: [...seen, 'return_conflict'] };
  // A key whose lock timed out at recovery point `started`: this request resumes the work.
  if (record.status === 'unlocked') return { found, foundBody: record.body, steps: [...seen, 'lock_key', 'process_request'] };
  return { found, foundBody: record.body, steps: [...seen, 'replay_saved_response'] };
}

const holdsLock = (context: IdempotencyContext, request: InProgress) => {
  if (request.key === null) return true;
  const record = context.store[request.key];
  return record?.status === 'locked' && record.owner === request.attempt;
};

const inProgress = (context: IdempotencyContext, event: IdempotencyEvent) =>
  'attempt' in event ? context.processing.find((r) => r.attempt === event.attempt) : undefined;

const networkCall = (context: IdempotencyContext, event: IdempotencyEvent) =>
  'attempt' in event ? context.networkCalls.find((c) => c.attempt === event.attempt) : undefined;

export function createIdempotencyModel(config: IdempotencyConfig) {
  return setup({
    types: {
      context: {} as IdempotencyContext,
      events: {} as IdempotencyEvent,
    },
    guards: {
      clientMaySend: ({ context }) =>
        context.client.phase === 'ready' || (context.client.phase === 'backing_off' && context.now >= context.client.since),
      requestInNetwork: ({ context, event }) =>
        event.type === 'REQUEST_ARRIVES' && context.requests.some((r) => r.attempt === event.attempt),
      requestClaimed: ({ context, event }) => inProgress(context, event)?.stage === 'claimed',
      // The card network answers a call once; a repeated downstream key gets its first answer.
      cardNetworkMayApprove: ({ context, event }) => networkCall(context, event) !== undefined,
      cardNetworkMayFail: ({ context, event }) => {
        const call = networkCall(context, event);
        if (!config.cardNetworkMayFail || call === undefined) return false;
        return call.downstreamKey === null || context.networkAnswers[call.downstreamKey] === undefined;
      },
      answerReceived: ({ context, event }) => inProgress(context, event)?.stage === 'answered',
      serverMayCrash: ({ context }) => context.crashes < config.maxCrashes && context.processing.length > 0,
      clientAwaitsThisResponse: ({ context, event }) =>
        event.type === 'RESPONSE_ARRIVES' &&
        context.client.phase === 'waiting' &&
        context.client.attempt === event.attempt &&
        context.responses.some((r) => r.attempt === event.attempt),
      clientTimeoutDue: ({ context }) =>
        context.client.phase === 'waiting' && context.now >= context.client.since + config.clientTimeoutSeconds,
      lockTimeoutDue: ({ context, event }) => {
        if (event.type !== 'LOCK_TIMES_OUT') return false;
        const record = context.store[event.key];
        return record?.status === 'locked' && context.now >= record.lockedAt + config.lockTimeoutSeconds;
      },
      keyExpiryDue: ({ context, event }) => {
        if (event.type !== 'KEY_EXPIRES') return false;
        const record = context.store[event.key];
        return record?.status === 'completed' && context.now >= record.completedAt + config.ttlSeconds;
      },
      // Time moves on only when nothing timed is due now, and something is due later.
      nothingDueNow: ({ context }) => {
        const due = deadlines(context, config);
        return due.length > 0 && due.every((t) => t > context.now);
      },
    },
    actions: {
      sendRequest: assign(({ context }) => {
        const attempt = context.client.phase === 'ready' ? 1 : context.client.attempt + 1;
        const key = config.keyForAttempt ? config.keyForAttempt(attempt) : null;
        return {
          client: { ...context.client, attempt, phase: 'waiting' as const, since: context.now },
          requests: [...context.requests, { attempt, key, body: bodyOf(config, attempt) }],
        };
      }),
      // Phase 1, one transaction: find or claim the key, compare, lock (or refuse).
      handleArrival: assign(({ context, event }) => {
        if (event.type !== 'REQUEST_ARRIVES') return {};
        const request = context.requests.find((r) => r.attempt === event.attempt)!;
        const record = request.key === null ? undefined : context.store[request.key];
        const decision = decide(request, record);
        const arrival: Arrival = { attempt: request.attempt, at: context.now, body: request.body, ...decision };
        const next = {
          requests: context.requests.filter((r) => r !== request),
          arrivals: [...context.arrivals, arrival],
        };
        const last = decision.steps[decision.steps.length - 1];
        if (last === 'process_request') {
          // The downstream key names this record (a new record after expiry gets a new one).
          const downstreamKey =
            request.key === null ? null : record?.status === 'unlocked' ? record.downstreamKey : `${request.key}@${context.now}`;
          const store =
            request.key === null
              ? context.store
              : {
                  ...context.store,
                  [request.key]: { status: 'locked' as const, body: request.body, owner: request.attempt, lockedAt: context.now, downstreamKey: downstreamKey! },
                };
          const claimed: InProgress = { ...request, stage: 'claimed', answer: null, downstreamKey };
          return { ...next, store, processing: [...context.processing, claimed] };
        }
        const response: Response =
          last === 'replay_saved_response' && record?.status === 'completed'
            ? { ...record.result, attempt: request.attempt, replayed: true }
            : last === 'return_conflict'
              ? { attempt: request.attempt, status: 409, chargeId: null, replayed: false }
              : {
                  attempt: request.attempt,
                  status: 400,
                  refusal: last === 'return_validation_error' ? 'validation' : 'parameters_differ',
                  chargeId: null,
                  replayed: false,
                };
        return { ...next, responses: [...context.responses, response] };
      }),
      // The foreign call, outside any transaction.
      callCardNetwork: assign(({ context, event }) => {
        const request = inProgress(context, event)!;
        if (config.apiDesign === 'own_lock_check' && !holdsLock(context, request)) return abandon(context, request);
        const downstreamKey = config.apiDesign === 'downstream_key' ? request.downstreamKey : null;
        return {
          processing: context.processing.map((r) => (r === request ? { ...r, stage: 'calling_card_network' as const } : r)),
          networkCalls: [...context.networkCalls, { attempt: request.attempt, downstreamKey }],
        };
      }),
      cardNetworkApproves: assign(({ context, event }) => answerCall(context, event, true, config)),
      cardNetworkFails: assign(({ context, event }) => answerCall(context, event, false, config)),
      // Phase 2, one transaction: save the card network's answer under the key, unless saved already.
      saveResult: assign(({ context, event }) => {
        const request = inProgress(context, event)!;
        if (config.apiDesign === 'own_lock_check' && !holdsLock(context, request)) return abandon(context, request);
        const processing = context.processing.filter((r) => r !== request);
        const answer = request.answer!;
        const result: SavedResult = answer.approved ? { status: 200, chargeId: answer.chargeId } : { status: 500, chargeId: null };
        const record = request.key === null ? undefined : context.store[request.key];
        if (record?.status === 'completed') {
          return { processing, responses: [...context.responses, { ...record.result, attempt: request.attempt, replayed: true }] };
        }
        const store =
          request.key === null
            ? context.store
            : { ...context.store, [request.key]: { status: 'completed' as const, body: request.body, completedAt: context.now, result, savedBy: request.attempt } };
        return { processing, store, responses: [...context.responses, { ...result, attempt: request.attempt, replayed: false }] };
      }),
      loseInMemoryWork: assign(({ context }) => ({ processing: [], crashes: context.crashes + 1 })),
      takeResponse: assign(({ context, event }) => {
        if (event.type !== 'RESPONSE_ARRIVES') return {};
        const response = context.responses.find((r) => r.attempt === event.attempt)!;
        const responses = context.responses.filter((r) => r !== response);
        // Retry a conflict and a validation error (after correcting the parameters: nothing was saved).
        const retriable = response.status === 409 || response.refusal === 'validation';
        const mayRetry = retriable && context.client.attempt < attemptsAllowed(config);
        const client = mayRetry ? backOff(context, config) : { ...context.client, phase: 'done' as const, result: response };
        return { responses, client };
      }),
      // The client closes the connection: a request not yet delivered and a response not yet
      // received for this attempt are lost.
      giveUpOnAttempt: assign(({ context }) => {
        const attempt = context.client.attempt;
        const client = attempt < attemptsAllowed(config) ? backOff(context, config) : { ...context.client, phase: 'done' as const };
        return {
          client,
          requests: context.requests.filter((r) => r.attempt !== attempt),
          responses: context.responses.filter((r) => r.attempt !== attempt),
        };
      }),
      // The store cannot tell a dead request from a slow one: the lock goes, the request may run on.
      unlockKey: assign(({ context, event }) => {
        if (event.type !== 'LOCK_TIMES_OUT') return {};
        const record = context.store[event.key];
        if (record?.status !== 'locked') return {};
        return { store: { ...context.store, [event.key]: { status: 'unlocked' as const, body: record.body, downstreamKey: record.downstreamKey } } };
      }),
      expireKey: assign(({ context, event }) => {
        if (event.type !== 'KEY_EXPIRES') return {};
        return { store: { ...context.store, [event.key]: { status: 'expired' as const } } };
      }),
      advanceClock: assign(({ context }) => ({
        now: Math.min(...deadlines(context, config).filter((t) => t > context.now)),
      })),
    },
  }).createMachine({
    id: 'idempotencyStore',
    context: {
      now: 0,
      client: { attempt: 0, phase: 'ready', since: 0, result: null },
      requests: [],
      responses: [],
      store: {},
      processing: [],
      networkCalls: [],
      networkAnswers: {},
      charges: [],
      arrivals: [],
      crashes: 0,
    },
    initial: 'running',
    states: {
      running: {
        on: {
          CLIENT_SENDS: { guard: 'clientMaySend', actions: 'sendRequest' },
          REQUEST_ARRIVES: { guard: 'requestInNetwork', actions: 'handleArrival' },
          API_CALLS_CARD_NETWORK: { guard: 'requestClaimed', actions: 'callCardNetwork' },
          CARD_NETWORK_APPROVES: { guard: 'cardNetworkMayApprove', actions: 'cardNetworkApproves' },
          CARD_NETWORK_FAILS: { guard: 'cardNetworkMayFail', actions: 'cardNetworkFails' },
          API_SAVES_RESULT: { guard: 'answerReceived', actions: 'saveResult' },
          SERVER_CRASHES: { guard: 'serverMayCrash', actions: 'loseInMemoryWork' },
          RESPONSE_ARRIVES: { guard: 'clientAwaitsThisResponse', actions: 'takeResponse' },
          CLIENT_TIMES_OUT: { guard: 'clientTimeoutDue', actions: 'giveUpOnAttempt' },
          LOCK_TIMES_OUT: { guard: 'lockTimeoutDue', actions: 'unlockKey' },
          KEY_EXPIRES: { guard: 'keyExpiryDue', actions: 'expireKey' },
          TIME_PASSES: { guard: 'nothingDueNow', actions: 'advanceClock' },
        },
      },
    },
  });
}

export type IdempotencyModel = ReturnType<typeof createIdempotencyModel>;

function backOff(context: IdempotencyContext, config: IdempotencyConfig): IdempotencyContext['client'] {
  const delay = config.retryDelaysSeconds[context.client.attempt - 1]!;
  return { ...context.client, phase: 'backing_off', since: context.now + delay };
}

/** A request that finds it lost the key's lock stops and answers 409, saving nothing. */
function abandon(context: IdempotencyContext, request: InProgress): Partial<IdempotencyContext> {
  return {
    processing: context.processing.filter((r) => r !== request),
    responses: [...context.responses, { attempt: request.attempt, status: 409, chargeId: null, replayed: false }],
  };
}

/**
 * The card network answers a call. With a downstream key it seen before, it replays its first
 * answer and charges nothing; otherwise it charges (or fails). The answer reaches the API only
 * if the server still holds the request in memory.
 */
function answerCall(context: IdempotencyContext, event: IdempotencyEvent, approve: boolean, config: IdempotencyConfig): Partial<IdempotencyContext> {
  const call = networkCall(context, event)!;
  const networkCalls = context.networkCalls.filter((c) => c !== call);
  const previous = call.downstreamKey === null ? undefined : context.networkAnswers[call.downstreamKey];
  let charges = context.charges;
  let answer: NetworkAnswer;
  if (previous) answer = previous;
  else if (approve) {
    const charge: Charge = { id: charges.length + 1, attempt: call.attempt, downstreamKey: call.downstreamKey, at: context.now, amountMinor: config.amountMinor };
    charges = [...charges, charge];
    answer = { approved: true, chargeId: charge.id };
  } else answer = { approved: false };
  const networkAnswers = call.downstreamKey === null || previous ? context.networkAnswers : { ...context.networkAnswers, [call.downstreamKey]: answer };
  const processing = context.processing.map((r) =>
    r.attempt === call.attempt && r.stage === 'calling_card_network' ? { ...r, stage: 'answered' as const, answer } : r,
  );
  return { networkCalls, networkAnswers, charges, processing };
}

/** Every event instance worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(snapshot: { context: IdempotencyContext }): IdempotencyEvent[] {
  const { context } = snapshot;
  const events: IdempotencyEvent[] = [{ type: 'CLIENT_SENDS' }, { type: 'CLIENT_TIMES_OUT' }, { type: 'TIME_PASSES' }];
  for (const { attempt } of context.requests) events.push({ type: 'REQUEST_ARRIVES', attempt });
  for (const { attempt } of context.processing) events.push({ type: 'API_CALLS_CARD_NETWORK', attempt }, { type: 'API_SAVES_RESULT', attempt });
  for (const { attempt } of context.networkCalls) events.push({ type: 'CARD_NETWORK_APPROVES', attempt }, { type: 'CARD_NETWORK_FAILS', attempt });
  for (const { attempt } of context.responses) events.push({ type: 'RESPONSE_ARRIVES', attempt });
  for (const key of Object.keys(context.store)) events.push({ type: 'LOCK_TIMES_OUT', key }, { type: 'KEY_EXPIRES', key });
  // Last: of two equally short runs to one state, the one that shows the card network's
  // answer before a crash is found first (a crash before or after the answer leaves the same state).
  events.push({ type: 'SERVER_CRASHES' });
  return events;
}
