/**
 * The idempotency store, with the payment API around it and the merchant's client in front.
 *
 * One flat machine: the protocol lives in context and every step of every actor is a guarded
 * event, so that the explorer tries every interleaving of the client, the network, the server
 * and the clock. Time moves only by `TIME_PASSES`, which jumps to the next deadline (a client
 * timeout, a scheduled retry, a lock timeout, a key's expiry); a timed event that is due must
 * fire before time moves on.
 *
 * Stripe's documented behaviour is the reference (https://docs.stripe.com/api/idempotent_requests):
 * keys up to 255 characters, kept at least 24 hours; the first result is saved and replayed,
 * 500s included; parameters are compared with the original request's; a request that arrives
 * while one with the same key is still executing gets 409 Conflict and no result is saved.
 */
import { and, assign, setup } from 'xstate';

/** The parameters of a charge request; a retry that changes them reuses the key wrongly. */
export type Body = 'original' | 'changed';

export interface IdempotencyConfig {
  /** The key the client sends with attempt n (1-based); `null` sends no key at all. */
  keyForAttempt: ((attempt: number) => string) | null;
  /** How long a completed key is kept, in seconds (Stripe: at least 24 hours). */
  ttlSeconds: number;
  /** After this long an in-flight key whose request died is unlocked, in seconds. */
  lockTimeoutSeconds: number;
  /** The client gives up waiting for a response after this long, in seconds (scenario: 28). */
  clientTimeoutSeconds: number;
  /** Delay before attempt n+1 after attempt n timed out or met a conflict (scenario: [5]). */
  retryDelaysSeconds: readonly number[];
  /** What the retries send: the same parameters, or (a client bug) changed ones. */
  retryBody: Body;
  /** How many times the server may crash while a request is in progress. */
  maxCrashes: number;
  /** May the card network fail a charge (the API then saves and replays a 500)? */
  cardNetworkMayFail: boolean;
  /** The charge's amount, in minor units (cents). */
  amountMinor: number;
}

/** The scenario of the exercise: timeout at 28 s, one retry 5 s later, keys kept 24 h. */
export const scenarioConfig: IdempotencyConfig = {
  keyForAttempt: () => 'order_1842_charge',
  ttlSeconds: 24 * 3600,
  lockTimeoutSeconds: 60,
  clientTimeoutSeconds: 28,
  retryDelaysSeconds: [5],
  retryBody: 'original',
  maxCrashes: 0,
  cardNetworkMayFail: false,
  amountMinor: 10_000,
};

export type HttpStatus = 200 | 400 | 409 | 500;

export interface Response {
  attempt: number;
  status: HttpStatus;
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

/** The lifecycle of one key in the store: absent (no record) → in_flight → completed → expired. */
export type KeyRecord =
  | { status: 'in_flight'; body: Body; lockedAt: number; owner: number }
  | { status: 'completed'; body: Body; completedAt: number; response: Omit<Response, 'attempt' | 'replayed'> }
  | { status: 'expired' };

export type KeyStatus = 'absent' | KeyRecord['status'];

/** The server's steps for one request, in the order it takes them. */
export type ServerStep =
  | 'look_up_key'
  | 'compare_parameters'
  | 'lock_key'
  | 'process_request'
  | 'return_conflict'
  | 'return_parameters_error'
  | 'replay_saved_response';

/** What the server found and decided when a request arrived. */
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

export interface Charge {
  id: number;
  attempt: number;
  key: string | null;
  body: Body;
  at: number;
  amountMinor: number;
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
  /** Requests the server is executing (held in memory: lost in a crash). */
  processing: Request[];
  charges: Charge[];
  arrivals: Arrival[];
  crashes: number;
}

export type IdempotencyEvent =
  | { type: 'CLIENT_SENDS' }
  | { type: 'REQUEST_ARRIVES'; attempt: number }
  | { type: 'SERVER_CHARGES'; attempt: number }
  | { type: 'CARD_NETWORK_FAILS'; attempt: number }
  | { type: 'SERVER_CRASHES' }
  | { type: 'RESPONSE_ARRIVES'; attempt: number }
  | { type: 'CLIENT_TIMES_OUT' }
  | { type: 'LOCK_TIMES_OUT'; key: string }
  | { type: 'KEY_EXPIRES'; key: string }
  | { type: 'TIME_PASSES' };

const attemptsAllowed = (config: IdempotencyConfig) => 1 + config.retryDelaysSeconds.length;

const bodyOf = (config: IdempotencyConfig, attempt: number): Body => (attempt === 1 ? 'original' : config.retryBody);

/** Every instant at which some timed event becomes due. */
export function deadlines(context: IdempotencyContext, config: IdempotencyConfig): number[] {
  const due: number[] = [];
  const { client } = context;
  if (client.phase === 'waiting') due.push(client.since + config.clientTimeoutSeconds);
  if (client.phase === 'backing_off') due.push(client.since);
  for (const record of Object.values(context.store)) {
    if (record.status === 'in_flight') due.push(record.lockedAt + config.lockTimeoutSeconds);
    if (record.status === 'completed') due.push(record.completedAt + config.ttlSeconds);
  }
  return due;
}

/** The server's decision for an arriving request, as Stripe documents it. */
function decide(request: Request, record: KeyRecord | undefined): Pick<Arrival, 'found' | 'foundBody' | 'steps'> {
  if (request.key === null) return { found: 'no_key', foundBody: null, steps: ['process_request'] };
  if (record === undefined || record.status === 'expired') {
    return { found: record?.status ?? 'absent', foundBody: null, steps: ['look_up_key', 'lock_key', 'process_request'] };
  }
  const found = record.status;
  if (record.body !== request.body) {
    return { found, foundBody: record.body, steps: ['look_up_key', 'compare_parameters', 'return_parameters_error'] };
  }
  if (record.status === 'in_flight') {
    return { found, foundBody: record.body, steps: ['look_up_key', 'compare_parameters', 'return_conflict'] };
  }
  return { found, foundBody: record.body, steps: ['look_up_key', 'compare_parameters', 'replay_saved_response'] };
}

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
      serverIsProcessing: ({ context, event }) =>
        'attempt' in event && context.processing.some((r) => r.attempt === event.attempt),
      cardNetworkMayFail: () => config.cardNetworkMayFail,
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
        return record?.status === 'in_flight' && context.now >= record.lockedAt + config.lockTimeoutSeconds;
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
          const store =
            request.key === null
              ? context.store
              : {
                  ...context.store,
                  [request.key]: { status: 'in_flight' as const, body: request.body, lockedAt: context.now, owner: request.attempt },
                };
          return { ...next, store, processing: [...context.processing, request] };
        }
        const response: Response =
          last === 'replay_saved_response' && record?.status === 'completed'
            ? { ...record.response, attempt: request.attempt, replayed: true }
            : { attempt: request.attempt, status: last === 'return_conflict' ? 409 : 400, chargeId: null, replayed: false };
        return { ...next, responses: [...context.responses, response] };
      }),
      // Charging and saving the response commit together: the key's record lives in the same
      // database as the charge, so no crash can leave a charge without its saved response.
      chargeAndSaveResponse: assign(({ context, event }) => finishRequest(context, event, 'charged', config)),
      saveFailure: assign(({ context, event }) => finishRequest(context, event, 'failed', config)),
      loseInMemoryWork: assign(({ context }) => ({ processing: [], crashes: context.crashes + 1 })),
      takeResponse: assign(({ context, event }) => {
        if (event.type !== 'RESPONSE_ARRIVES') return {};
        const response = context.responses.find((r) => r.attempt === event.attempt)!;
        const responses = context.responses.filter((r) => r !== response);
        const mayRetry = response.status === 409 && context.client.attempt < attemptsAllowed(config);
        const client = mayRetry
          ? backOff(context, config)
          : { ...context.client, phase: 'done' as const, result: response };
        return { responses, client };
      }),
      // The client closes the connection: a request not yet delivered and a response not yet
      // received for this attempt are lost.
      giveUpOnAttempt: assign(({ context }) => {
        const attempt = context.client.attempt;
        const client =
          attempt < attemptsAllowed(config) ? backOff(context, config) : { ...context.client, phase: 'done' as const };
        return {
          client,
          requests: context.requests.filter((r) => r.attempt !== attempt),
          responses: context.responses.filter((r) => r.attempt !== attempt),
        };
      }),
      unlockKey: assign(({ context, event }) => {
        if (event.type !== 'LOCK_TIMES_OUT') return {};
        const { [event.key]: _released, ...store } = context.store;
        return { store };
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
          SERVER_CHARGES: { guard: 'serverIsProcessing', actions: 'chargeAndSaveResponse' },
          CARD_NETWORK_FAILS: {
            guard: and(['serverIsProcessing', 'cardNetworkMayFail']),
            actions: 'saveFailure',
          },
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

/**
 * The end of a request's execution. With a key, the server first checks it still holds the
 * key's lock (a fencing check): if the lock timed out and another request took the key, this
 * one must not charge.
 */
function finishRequest(
  context: IdempotencyContext,
  event: IdempotencyEvent,
  outcome: 'charged' | 'failed',
  config: IdempotencyConfig,
): Partial<IdempotencyContext> {
  if (!('attempt' in event)) return {};
  const request = context.processing.find((r) => r.attempt === event.attempt)!;
  const processing = context.processing.filter((r) => r !== request);
  const record = request.key === null ? undefined : context.store[request.key];
  if (request.key !== null && !(record?.status === 'in_flight' && record.owner === request.attempt)) {
    const conflict: Response = { attempt: request.attempt, status: 409, chargeId: null, replayed: false };
    return { processing, responses: [...context.responses, conflict] };
  }
  const charges =
    outcome === 'charged'
      ? [
          ...context.charges,
          {
            id: context.charges.length + 1,
            attempt: request.attempt,
            key: request.key,
            body: request.body,
            at: context.now,
            amountMinor: config.amountMinor,
          },
        ]
      : context.charges;
  const saved = outcome === 'charged'
    ? { status: 200 as const, chargeId: charges.length }
    : { status: 500 as const, chargeId: null };
  const store =
    request.key === null
      ? context.store
      : {
          ...context.store,
          [request.key]: { status: 'completed' as const, body: request.body, completedAt: context.now, response: saved },
        };
  return {
    processing,
    charges,
    store,
    responses: [...context.responses, { ...saved, attempt: request.attempt, replayed: false }],
  };
}

/** Every event instance worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(snapshot: { context: IdempotencyContext }): IdempotencyEvent[] {
  const { context } = snapshot;
  const attempts = new Set<number>([
    ...context.requests.map((r) => r.attempt),
    ...context.processing.map((r) => r.attempt),
    ...context.responses.map((r) => r.attempt),
  ]);
  const events: IdempotencyEvent[] = [
    { type: 'CLIENT_SENDS' },
    { type: 'SERVER_CRASHES' },
    { type: 'CLIENT_TIMES_OUT' },
    { type: 'TIME_PASSES' },
  ];
  for (const attempt of attempts) {
    events.push(
      { type: 'REQUEST_ARRIVES', attempt },
      { type: 'SERVER_CHARGES', attempt },
      { type: 'CARD_NETWORK_FAILS', attempt },
      { type: 'RESPONSE_ARRIVES', attempt },
    );
  }
  for (const key of Object.keys(context.store)) {
    events.push({ type: 'LOCK_TIMES_OUT', key }, { type: 'KEY_EXPIRES', key });
  }
  return events;
}
