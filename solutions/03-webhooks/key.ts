/**
 * Chapter 3's answer key, generated: every figure, table, trace, diagram and plot below comes
 * from a run of the model, of the fleet simulation or of the reference answers during
 * `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { markdownTable } from '../../tools/render/table.ts';
import { sequenceOfTrace } from '../../tools/render/sequence.ts';
import { projectExploration, renderSvg } from '../../tools/render/state-diagram.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { solutionRegions } from '../../tools/build/stubs.ts';
import type { ChapterKey } from '../../tools/build/chapter-key.ts';
import type { Trace } from '../../tools/explore/explore.ts';
import { scenarioConfig, type WebhookDeliveryConfig, type WebhookDeliveryEvent } from '../../models/webhook-delivery/machine.ts';
import { clock, participants, sequenceOfStep } from '../../models/webhook-delivery/describe.ts';
import { replayPossible, webhookInvariants } from '../../specs/03-webhooks/invariants.ts';
import {
  dedupConfig,
  discardConfig,
  endings,
  exploreConfig,
  lostAckRun,
  pastDeadlineConfig,
  replayRun,
  shrinkingConfig,
  type Snapshot,
} from '../../specs/03-webhooks/analysis.ts';
import { chapter, checkDispatchPolicy, HEALTHY_P99_BOUND_SECONDS, MAX_QUEUED_IN_MEMORY, PROPERTY_RUNS, PROPERTY_SEED, RESPONSE_TIMEOUT_SECONDS } from '../../specs/03-webhooks/chapter.ts';
import {
  FIRST_RETRY_WITHIN_SECONDS,
  jittered,
  latestRetryTimes,
  MAX_ATTEMPTS,
  MIN_COVERAGE,
  MIN_OVERALL_GROWTH,
  MIN_PROMISE_HOURS,
  MIN_RETRIES,
  retryTimes,
} from '../../specs/03-webhooks/retry-schedule.ts';
import { fleetScenario, healthyP99ByWindow } from '../../specs/03-webhooks/simulation.ts';
import { TOLERANCE_SECONDS, verificationCases } from '../../specs/03-webhooks/verification.ts';
import { creditedAtMostOnce, exploreHandlerSteps, finishedRunsComplete, receiptAtMostOnce } from '../../specs/03-webhooks/handler-atomicity.ts';
import { handlerStepsBounds, type HandlerStep } from '../../models/webhook-delivery/handler-steps.ts';
import type { DispatchPolicy, TerminalPolicy } from '../../specs/03-webhooks/answer-types.ts';
import { DISABLE_AFTER_SECONDS, endpointHealthProblem, healthScenarios, MERCHANT_REACTS_AFTER_SECONDS, OUTAGE_SECONDS, simulateEndpointHealth, WARN_AFTER_SECONDS } from '../../specs/03-webhooks/endpoint-health.ts';
import * as reference from './answers.ts';

/** A trace of the model as a sequence diagram. */
const sequence = (trace: Trace<Snapshot, WebhookDeliveryEvent>) => sequenceOfTrace(trace, participants, sequenceOfStep);

const configs: [string, WebhookDeliveryConfig][] = [
  ['naive handler', scenarioConfig],
  ['deduplicating handler', dedupConfig],
  ['one retry more, after a wait as long as the promise', pastDeadlineConfig],
  ['a shrinking schedule (1 h, then 1 min)', shrinkingConfig],
  ['event discarded, no notice, no replay', discardConfig],
];

/** The handler designs the key compares: the reference, one right alternative, and the wrong ones of 3.1's last part. */
export const comparedHandlerSteps: [string, readonly HandlerStep[]][] = [
  ['the reference: event id, credit and outbox row in one transaction, 2xx after COMMIT', reference.handlerSteps()],
  ['the same, crediting before recording the event id', ['verify_signature', 'begin', 'apply_effect', 'enqueue_receipt', 'record_event_id', 'commit', 'respond_2xx']],
  ['an inbox: store the event (keyed by its id), answer 2xx, a worker processes it later', ['verify_signature', 'store_in_inbox', 'respond_2xx']],
  ['an inbox, answered before the event is stored', ['verify_signature', 'respond_2xx', 'store_in_inbox']],
  ['the event id recorded before the transaction', ['verify_signature', 'record_event_id', 'begin', 'apply_effect', 'enqueue_receipt', 'commit', 'respond_2xx']],
  ['no transaction, the receipt emailed inline', ['verify_signature', 'apply_effect', 'record_event_id', 'send_receipt', 'respond_2xx']],
  ['one transaction, the receipt emailed inside it', ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'send_receipt', 'commit', 'respond_2xx']],
  ['one transaction, the receipt emailed after COMMIT', ['verify_signature', 'begin', 'record_event_id', 'apply_effect', 'commit', 'send_receipt', 'respond_2xx']],
  ['2xx first, the work after it', ['verify_signature', 'respond_2xx', 'begin', 'record_event_id', 'apply_effect', 'enqueue_receipt', 'commit']],
];

/** Schedules run through the 3.2 check by the key: published designs and wrong ones (the rest of the answer as the reference's). */
const standardWebhooksDelays = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];
export const comparedSchedules: [string, { baseDelaysSeconds: number[]; jitter?: number | 'full'; promiseHours?: number }][] = [
  ['the reference', { baseDelaysSeconds: reference.retrySchedule().baseDelaysSeconds }],
  ['Standard Webhooks example, ±10 %, 84 h promised', { baseDelaysSeconds: standardWebhooksDelays, jitter: 0.1, promiseHours: 84 }],
  ['Standard Webhooks example, ±50 %, 114 h promised', { baseDelaysSeconds: standardWebhooksDelays, jitter: 0.5, promiseHours: 114 }],
  ['Standard Webhooks example, full jitter, 76 h promised', { baseDelaysSeconds: standardWebhooksDelays, jitter: 'full', promiseHours: 76 }],
  ['Standard Webhooks example, ±10 %, 72 h promised', { baseDelaysSeconds: standardWebhooksDelays, jitter: 0.1, promiseHours: 72 }],
  ['doubling from 1 min, 12 retries', { baseDelaysSeconds: Array.from({ length: 12 }, (_, k) => 60 * 2 ** k) }],
  ['a shrinking schedule', { baseDelaysSeconds: [60, 600, 3600, 21_600, 43_200, 3600, 86_400, 86_400] }],
  ['every 3 h', { baseDelaysSeconds: Array(20).fill(10_800) }],
];

/** Terminal policies the key runs through the endpoint-health simulation (changes to the reference's). */
export const comparedTerminalPolicies: [string, Partial<TerminalPolicy>][] = [
  ['the reference: disable after sustained failure, warn first, list undelivered events', {}],
  ['keep the endpoint enabled', { endpoint: 'keep_enabled', warnBeforeDisabling: false, backstop: 'none' }],
  ['disable when one event runs out of retries', { endpoint: 'disable_when_an_event_runs_out' }],
  ['disable after sustained failure, no warning', { warnBeforeDisabling: false }],
  ['disable after sustained failure, no list of undelivered events', { backstop: 'none' }],
];

/** The policies of the 3.3 comparison, from the naive one to the reference answer. */
export const comparedPolicies: [string, DispatchPolicy][] = [
  ['one shared FIFO queue, 30 s timeout (naive)', { queueing: 'shared_fifo', timeoutSeconds: 30 }],
  ['one shared FIFO queue, 5 s timeout', { queueing: 'shared_fifo', timeoutSeconds: 5 }],
  ['per-endpoint queues, round-robin, no cap', { queueing: 'per_endpoint', timeoutSeconds: 30, maxInFlightPerEndpoint: fleetScenario.workers, slowLane: null }],
  ['per-endpoint queues, at most 10 in flight per endpoint', { queueing: 'per_endpoint', timeoutSeconds: 30, maxInFlightPerEndpoint: 10, slowLane: null }],
  ['the same, with retries on a lane of their own (a quarter of the workers)', { queueing: 'per_endpoint', timeoutSeconds: 30, maxInFlightPerEndpoint: 10, slowLane: null, retryLane: { workerShare: 0.25 } }],
  ['cap 10, slow endpoints on a quarter of the workers, no bound on one endpoint’s backlog', { queueing: 'per_endpoint', timeoutSeconds: 30, maxInFlightPerEndpoint: 10, slowLane: { slowAfterSeconds: 5, workerShare: 0.25 } }],
  ['the reference answer: cap 10, slow lane, retry lane, backlog of 500 with an alert', reference.dispatchPolicy()],
];

/**
 * A schedule's shape in words, read from its base delays, so that the key follows the reference
 * answer when an instructor changes it: "×3 from 1 min", "×2 to ×5 a step from 1 min, then a
 * cap of 8 h repeated 6 times".
 */
export function backoffInWords(delays: readonly number[]): { words: string; growth: string; smallestFactor: number; cap: number | undefined } {
  const capFrom = delays.findIndex((d, k) => k > 0 && d === delays[k - 1]);
  const growing = capFrom < 0 ? delays : delays.slice(0, capFrom);
  const factors = growing.slice(1).map((d, k) => d / growing[k]!);
  const [lo, hi] = [Math.min(...factors), Math.max(...factors)];
  const x = (f: number) => `×${+f.toFixed(2)}`;
  const growth = factors.length === 0 ? 'no growth' : hi - lo < 1e-9 ? x(lo) : `${x(lo)} to ${x(hi)} a step`;
  const cap = capFrom < 0 ? '' : `, then a cap of ${clock(delays[capFrom]!)} repeated ${delays.length - capFrom} times`;
  return { words: `${growth} from ${clock(delays[0]!)}${cap}`, growth, smallestFactor: factors.length ? lo : 1, cap: capFrom < 0 ? undefined : delays[capFrom] };
}

const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh'];
/** "the third day" for a time 48–72 h after the event. */
const dayOf = (seconds: number) => {
  const day = Math.floor(seconds / 86_400);
  return ordinals[day] ? `the ${ordinals[day]} day` : `day ${day + 1}`;
};

const seconds = (s: number) => (Number.isNaN(s) ? '—' : s < 100 ? `${s.toFixed(2)} s` : clock(Math.round(s)));

/** A line chart rendered to SVG by Vega-Lite and Vega in Node (no browser, no canvas). */
async function lineChartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg.trim() + '\n';
}

/** The figures the chapter's text quotes, from the constants the checks use (the scenario's, or a variant's). */
export function textValues(): Record<string, string> {
  return {
    toleranceSeconds: `${TOLERANCE_SECONDS} s`,
    firstRetryWithin: clock(FIRST_RETRY_WITHIN_SECONDS),
    minOverallGrowth: `×${MIN_OVERALL_GROWTH}`,
    minRetries: String(MIN_RETRIES),
    maxAttempts: String(MAX_ATTEMPTS),
    minPromise: `${MIN_PROMISE_HOURS} h`,
    minCoverage: `${Math.round(MIN_COVERAGE * 100)} %`,
    responseTimeout: `${RESPONSE_TIMEOUT_SECONDS} s`,
    workers: String(fleetScenario.workers),
    merchants: fleetScenario.merchants.toLocaleString('en-US'),
    healthyP99Bound: `${HEALTHY_P99_BOUND_SECONDS} s`,
    maxQueuedInMemory: String(MAX_QUEUED_IN_MEMORY),
    outageDays: String(OUTAGE_SECONDS / 86_400),
    merchantReacts: clock(MERCHANT_REACTS_AFTER_SECONDS),
  };
}

export async function buildKey(): Promise<ChapterKey> {
  const answersFile = fileURLToPath(new URL('./answers.ts', import.meta.url));
  const regions = solutionRegions(readFileSync(answersFile, 'utf8'), 'typescript');
  const answers = await chapter.loadAnswers(fileURLToPath(new URL('.', import.meta.url)));
  const reports = [];
  for (const task of chapter.tasks) reports.push(await runTask(chapter, task, answers));

  const explorations = configs.map(([name, config]) => ({ name, ...exploreConfig(config) }));
  const naive = exploreConfig(scenarioConfig);
  // The chapter's lifecycle runs on the reference answers: the 3.2 schedule and promise, the 3.4 policy.
  const referenceSchedule = reference.retrySchedule();
  const onReference: WebhookDeliveryConfig = {
    ...dedupConfig,
    retryDelaysSeconds: referenceSchedule.baseDelaysSeconds,
    deadlineSeconds: referenceSchedule.promiseHours * 3600,
    terminalPolicy: reference.terminalPolicy(),
  };
  const dedup = exploreConfig(onReference);
  const doubleCredit = naive.violations.find((v) => v.id === 'WEBHOOK-4')!;
  const doubleCreditTrace = naive.exploration.violations.find((v) => v.property.id === 'WEBHOOK-4')!.trace;
  const lostAck = lostAckRun(onReference)!;
  const replayed = replayRun(onReference)!;
  const dedupEndings = endings(dedup.exploration);

  // 3.2: the reference schedule, nominal and at both jitter extremes.
  const schedule = reference.retrySchedule();
  const nominal = retryTimes(schedule.baseDelaysSeconds);
  const low = jittered(schedule, schedule.baseDelaysSeconds.map(() => 0));
  const high = jittered(schedule, schedule.baseDelaysSeconds.map(() => 1));
  const earliest = retryTimes(low);
  // The latest a retry can be: the largest jitter, and every failed attempt waiting out its timeout.
  const latest = latestRetryTimes(high, RESPONSE_TIMEOUT_SECONDS);
  const backoff = backoffInWords(schedule.baseDelaysSeconds);
  const [firstLanding, lastLanding] = [dayOf(earliest.at(-1)!), dayOf(latest.at(-1)!)];
  const landing = firstLanding === lastLanding ? `on ${firstLanding}` : `between ${firstLanding} and ${lastLanding}`;
  const jitterWords = (j: number | 'full') => (j === 'full' ? 'full jitter' : `±${+(j * 100).toFixed(2)} %`);
  const scheduleRows = [
    [1, '—', '—', '0 s', '0 s', '0 s'],
    ...schedule.baseDelaysSeconds.map((d, i) => [i + 2, clock(d), `${clock(low[i]!)} – ${clock(high[i]!)}`, clock(nominal[i]!), clock(earliest[i]!), clock(latest[i]!)]),
  ];
  // Other designs through the same check: the published ones pass, wrong ones fail.
  const retryTask = chapter.tasks.find((t) => t.id === '3.2')!;
  const scheduleRuns = [];
  for (const [name, design] of comparedSchedules) {
    const answer = { ...schedule, ...design };
    const report = await runTask(chapter, retryTask, { ...answers, retrySchedule: () => answer });
    scheduleRuns.push([name, design.baseDelaysSeconds.map(clock).join(', '), jitterWords(answer.jitter), `${answer.promiseHours} h`, clock(retryTimes(answer.baseDelaysSeconds).at(-1)!), report.status.toUpperCase(), report.status === 'pass' ? '' : report.message]);
  }

  // 3.3: every compared policy on the full fleet.
  // On the reference 3.2 schedule, as the check runs on the student's.
  const keyFleet = { ...fleetScenario, retryDelaysSeconds: schedule.baseDelaysSeconds };
  const fleet = comparedPolicies.map(([name, policy]) => ({ name, policy, ...checkDispatchPolicy(policy, keyFleet) }));
  const naiveFleet = fleet[0]!;
  const referenceFleet = fleet[fleet.length - 1]!;
  const windowSeconds = 30;
  const [noRetryLane, withRetryLane] = [fleet[3]!, fleet[4]!];
  const unbounded = fleet[5]!;
  const series = [naiveFleet, fleet[2]!, fleet[3]!, referenceFleet].flatMap((f, i) =>
    healthyP99ByWindow(f.run, windowSeconds).map(({ window, p99 }) => ({ policy: `${i + 1}. ${f.name.split(':')[0]}`, minute: window / 60, p99 })),
  );
  const plot = await lineChartSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Healthy merchants: p99 delivery latency of the events created in each ${windowSeconds} s (${fleetScenario.merchants} merchants, seed ${fleetScenario.seed})`,
    width: 640,
    height: 300,
    data: { values: series },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'minute', type: 'quantitative', title: 'event created at (minutes)' },
      y: { field: 'p99', type: 'quantitative', title: 'p99 delivery latency (s, log scale)', scale: { type: 'log' } },
      color: { field: 'policy', type: 'nominal', legend: { orient: 'bottom', columns: 1, title: null, labelLimit: 0 } },
    },
  });

  // 3.4: the event's lifecycle, projected from the deduplicating config's exploration.
  const projected = projectExploration(dedup.exploration.snapshots, dedup.exploration.edges, (s) =>
    s.context.status === 'dead_lettered' ? 'dead_lettered\n(merchant notified)' : s.context.status,
  );
  const lifecycle = await renderSvg({
    nodes: projected.nodes.map((node) => ({ ...node, initial: node.id === 'pending', final: node.id === 'delivered' })),
    edges: projected.edges,
    title: `One event's delivery: every arrow is a transition the explorer took (${dedup.exploration.figures.states} states)`,
  });

  const handlerRuns = comparedHandlerSteps.map(([name, steps]) => ({ name, steps, ...exploreHandlerSteps(steps) }));
  const handlerTable = markdownTable(
    ['handler design', 'steps', 'distinct states', 'finished runs', 'violated'],
    handlerRuns.map((r) => [r.name, r.steps.join(' → '), r.exploration.figures.states, r.exploration.figures.terminal, r.violation?.id ?? 'none']),
    ['left', 'left', 'right', 'right', 'left'],
  );
  const receiptAfterCommit = handlerRuns.find((r) => r.name === 'one transaction, the receipt emailed after COMMIT')!;

  // 3.4: endpoint health over days, for the reference policy and the alternatives.
  const healthRuns = comparedTerminalPolicies.map(([name, patch]) => {
    const policy = { ...reference.terminalPolicy(), ...patch };
    const runs = healthScenarios.map((scenario) => simulateEndpointHealth(scenario, policy, schedule.baseDelaysSeconds));
    return { name, runs, problem: endpointHealthProblem(runs) };
  });
  const hours = (s: number | null) => (s === null ? '—' : clock(s));
  const healthTable = markdownTable(
    ['policy', 'scenario', 'events', 'attempts', 'delivered by retries', 'recovered by the merchant', 'lost', 'warned at', 'disabled at', 'verdict'],
    healthRuns.flatMap(({ name, runs, problem }) =>
      runs.map((r, i) => [i === 0 ? name : '', r.scenario, r.events, r.attempts, r.deliveredAutomatically, r.recovered, r.lost, hours(r.warnedAt), hours(r.disabledAt), i === 0 ? (problem ? 'fail' : 'pass') : '']),
    ),
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );

  const invariantFigures = markdownTable(
    ['config', 'distinct states', 'transitions', 'depth', 'finished runs', 'violated'],
    explorations.map(({ name, exploration: e, violations }) => [name, e.figures.states, e.figures.transitions, e.figures.depth, e.figures.terminal, violations.map((v) => v.id).join(', ') || 'none']),
    ['left', 'right', 'right', 'right', 'right', 'left'],
  );

  const s = fleetScenario;
  const md: string[] = [];
  md.push(
    `# Chapter 3 — Webhook reliability: answer key`,
    '',
    `_Generated by \`npm run build\` from the model in \`models/webhook-delivery/\`, the fleet simulation in \`specs/03-webhooks/simulation.ts\` and the reference answers in \`solutions/03-webhooks/answers.ts\`. Do not edit by hand._`,
    '',
    `The scenario: a payment.succeeded event (order 1842, ${scenarioConfig.event.amountMinor} minor units) must reach a merchant's endpoint. The model explores every interleaving of the dispatcher, the network, the merchant's server (which may answer 500, be slower than the ${scenarioConfig.responseTimeoutSeconds} s timeout, or process the event and lose its 200 on the way back) and the clock, across the whole retry schedule and a replay after dead-lettering. Stripe's documented behaviour (https://docs.stripe.com/webhooks): a 2xx acknowledges an event and anything else is retried; in live mode Stripe retries with exponential backoff for up to three days; an endpoint may receive the same event more than once, and events are not guaranteed to arrive in the order they were created.`,
    '',
    `## Checks of the reference answers`,
    '',
    markdownTable(['task', 'status', 'what the check found'], reports.map((r) => [r.id, r.status.toUpperCase(), r.message])),
    '',
    `## The invariants, and where they hold`,
    '',
    `These configs run the model's own example schedule (${scenarioConfig.retryDelaysSeconds.length} retries, ${backoffInWords(scenarioConfig.retryDelaysSeconds).words}, the last ${clock(scenarioConfig.retryDelaysSeconds.reduce((a, b) => a + b, 0))} after the event), an illustration rather than the 3.2 answer; the checks run each student's own schedule.`,
    '',
    markdownTable(
      ['id', 'task', 'statement', ...explorations.map((e) => e.name)],
      [...webhookInvariants, replayPossible].map((inv) => [
        inv.id,
        inv.task,
        inv.statement,
        ...explorations.map(({ violations }) => (violations.some((v) => v.id === inv.id) ? '**violated**' : 'holds')),
      ]),
    ),
    '',
    invariantFigures,
    '',
    `${webhookInvariants.map((i) => i.id).join(', ')} are checked in every reachable state; ${replayPossible.id} on the graph of states (from each dead-lettered state, some path still reaches delivery).`,
    '',
    `## 3.1 — Why at-least-once delivery needs idempotent handlers`,
    '',
    `**First, verify.** A webhook endpoint is a public URL: anyone who finds it can POST a \`payment_intent.succeeded\` to it. So the handler's first act, before it parses the body, reads a record or changes anything, is to check the \`Stripe-Signature\` header: HMAC-SHA256, keyed by the endpoint's signing secret, over \`<t>.<raw body>\`, one \`v1\` signature per secret in use (https://docs.stripe.com/webhooks/signature). Each part of the check closes one attack, and the check tries each (${verificationCases().length} signed deliveries, made by the project's signer, which stripe-node's \`constructEvent\` accepts and refuses alike): *the raw body* — a body parsed and re-serialised no longer matches, and a body changed after signing must not; *the timestamp inside the signed text, and a tolerance* — without it, a captured genuine request can be sent again next week; Stripe's libraries refuse a timestamp older than ${TOLERANCE_SECONDS} s by default, and since \`t\` is signed, it cannot be moved forward; *every \`v1\` against every secret held* — while a secret is rolled, Stripe signs with the old and the new one, and a receiver holding either must accept; *a constant-time comparison* (Node's \`crypto.timingSafeEqual\`) — a comparison that stops at the first differing character answers sooner the more of a guessed signature is right, and lets a forger find a valid signature one character at a time. The same scheme, with the event id also signed, is the Standard Webhooks spec's (\`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature: v1,<base64>\`, https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md); \`npm run webhook -- sign\` prints both for a payload file, \`npm run webhook -- verify\` says why it refuses one.`,
    '',
    '```ts',
    regions[0]!,
    '```',
    '',
    `**Answer.** The dispatcher knows an event arrived only when it receives the merchant's 2xx. When the merchant has processed the event but the 200 is lost — or arrives after the timeout — the dispatcher cannot tell that case from a request that never arrived, and the only safe thing it can do is send the event again. Delivery is therefore at least once, never exactly once, and it is the handler that must make the second delivery harmless. The model shows it: with a handler that applies every delivery, ${doubleCredit.id} (“${doubleCredit.statement}”) is violated after ${doubleCreditTrace.steps.length} steps — the order is credited twice and the customer gets two receipts. With a handler that skips event ids it has applied, ${dedup.exploration.figures.states} states hold every invariant.`,
    '',
    sequence(doubleCreditTrace),
    '',
    '```text',
    doubleCredit.trace,
    '```',
    '',
    `The same lost acknowledgement with the deduplicating handler: the redelivery is acknowledged and changes nothing.`,
    '',
    sequence(dedup.exploration.pathTo(lostAck)),
    '',
    `Deduplicating is half of the answer. Stripe's payloads are the other half. Each refund comes twice: as a \`refund.created\` with its own amount, and as a \`charge.refunded\` whose Charge carries \`amount_refunded\`, the running total (https://docs.stripe.com/api/charges/object#charge_object-amount_refunded): a handler that subtracts the total on every \`charge.refunded\` counts each earlier refund again. The reference moves money by \`refund.created\` only; taking the largest \`amount_refunded\` seen per Charge is as right (the tests keep both), and so is fetching the Charge from the API when an event arrives, as Stripe suggests for events that may come out of order (https://docs.stripe.com/webhooks) — at the cost of an API call per event. Events also arrive out of order, and \`created\` has one-second resolution, so a refund issued in the second of its payment ties with it: the reference takes the status from what has happened (any refund makes the order refunded), not from the last arrival or the largest \`created\`, while amounts simply add up. Checked by 3 properties over ${PROPERTY_RUNS} random delivery streams each (seed ${PROPERTY_SEED}) — duplicates, reorders, and both — against exactly-once, in-order processing, and by the model with the handler plugged in.`,
    '',
    '```ts',
    regions[1]!,
    '```',
    '',
    `**Last, atomically.** A pure function hides where production handlers go wrong: between their steps. The handler's work touches two systems — the database (the credit, the record of handled event ids, an outbox of receipts) and the email provider — and its process can die between any two steps. The model in \`handler-steps.ts\` runs a design's steps with the process dying between any two of them (up to ${handlerStepsBounds.maxCrashes} times) and a 2xx lost (up to ${handlerStepsBounds.maxLostAcks}), checking ${creditedAtMostOnce.id} (${creditedAtMostOnce.statement}), ${receiptAtMostOnce.id} (${receiptAtMostOnce.statement}) and ${finishedRunsComplete.id} (${finishedRunsComplete.statement}). Among the designs the model's steps can express, only one that records the event id *in the same transaction* as the credit — a unique constraint, so that a redelivery finds it — and lets the receipt leave through an outbox row committed with them keeps all three: an email sent before COMMIT cannot be rolled back, and one sent after COMMIT is lost if the process dies in between, since the redelivery then stops at the recorded event id. Stripe asks handlers to guard against duplicates by logging the event ids they have processed (https://docs.stripe.com/webhooks#handle-duplicate-events); where that log is written is what the model decides. The pattern is brandur.org's: atomic phases, with the foreign call (here the email) outside the transaction (“Implementing Stripe-like Idempotency Keys in Postgres”, https://brandur.org/idempotency-keys), and a row staged in the same transaction and drained after commit (“Transactionally Staged Job Drains in Postgres”, https://brandur.org/job-drain). An email provider that takes an idempotency key would be another way to send the receipt at most once; this model does not include one.`,
    '',
    handlerTable,
    '',
    `The receipt emailed after COMMIT, with the process dying in between:`,
    '',
    '```text',
    receiptAfterCommit.violation!.trace,
    '```',
    '',
    '```ts',
    regions[2]!,
    '```',
    '',
    `## 3.2 — The retry schedule, and what each status means`,
    '',
    `**Answer.** Exponential backoff, ${backoff.words}, ${schedule.baseDelaysSeconds.length} retries (${schedule.baseDelaysSeconds.length + 1} attempts in all), with ${jitterWords(schedule.jitter)} jitter: ${schedule.jitterDescription}. The promise: no automatic retry later than ${schedule.promiseHours} h after the event. The last retry is sent ${clock(nominal.at(-1)!)} after the event (${clock(earliest.at(-1)!)} – ${clock(latest.at(-1)!)} with jitter and timeouts): ${landing}. A 3xx is a failure (following redirects loads both sides; the merchant should update its URL), a 410 Gone disables the endpoint (the receiver wants no more webhooks), and a 429 (or 503) with \`Retry-After\` is retried no sooner than it asks — the Standard Webhooks spec's suggested handling: throttle on a 429, take a \`Retry-After\` into account when scheduling the next attempt (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md). 410 means the resource is gone and likely for good (RFC 9110 §15.5.11, https://www.rfc-editor.org/rfc/rfc9110#section-15.5.11); a 429 may carry \`Retry-After\` (RFC 6585 §4, https://www.rfc-editor.org/rfc/rfc6585#section-4), defined in RFC 9110 §10.2.3.`,
    '',
    `**What is Stripe's and what is this design's.** Stripe documents that in live mode it retries with exponential backoff for up to three days, and does not publish the intervals (https://docs.stripe.com/webhooks). The 72 h is the promise this reference makes, in Stripe's image; the delays, the jitter and where the last retry lands are this design's choices. A student's promise is their own, and the check holds the schedule to it.`,
    '',
    `**What the check asks, and why.** *The first retry within ${clock(FIRST_RETRY_WITHIN_SECONDS)}*, at the largest jitter: most failures are brief (a deploy, a restart), and a merchant down for a minute should get its event minutes later. *Delays that never shrink, and grow*: the largest base delay at least ×${MIN_OVERALL_GROWTH} the first, so that a long outage is not retried at the pace of a short one; a cap (the largest delay repeated) is fine. *${MIN_RETRIES} to ${MAX_ATTEMPTS - 1} retries*: with fewer the late gaps are long; more is too much work for one failing event. *Jitter*: some, so that events that failed together are not all retried at once — a fraction of the delay either way, or AWS's "full jitter", a draw from 0 to the delay (AWS Architecture Blog, "Exponential Backoff and Jitter", https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). *A promise of at least ${MIN_PROMISE_HOURS} h*: the Standard Webhooks spec recommends a schedule spanning multiple days; shorter leaves a merchant down overnight with its events given up. *No retry after the promise*, at the largest jitter and with every failed attempt waiting out its ${RESPONSE_TIMEOUT_SECONDS} s timeout (over ${PROPERTY_RUNS} jitter draws, seed ${PROPERTY_SEED}, and the model at the largest jitter). *The schedule covers its promise*: before jitter, the last retry comes after at least ${Math.round(MIN_COVERAGE * 100)} % of the window, or the promise announces retries that never happen. Wide jitter is allowed when the promise leaves room for it: with ±50 %, the last retry may come 1.5 times later than its base time, and the promise must cover that. *Status handling* is simulated on the answer's own schedule: an endpoint that redirects every request (24 events), one that answers 410 Gone from hour 6 of a day of events, and one that answers 429 with a \`Retry-After\` for half an hour of one event a minute; the check counts events marked delivered that no handler saw, events sent to an unregistered URL, requests after a 410, requests before the \`Retry-After\` time and events given up.`,
    '',
    markdownTable(['design', 'base delays', 'jitter', 'promise', 'last retry before jitter', '3.2', 'why not'], scheduleRuns, ['left', 'left', 'left', 'right', 'right', 'left', 'left']),
    '',
    markdownTable(['attempt', 'delay before it', 'delay with jitter', 'sent at', 'earliest', 'latest'], scheduleRows, ['right', 'right', 'right', 'right', 'right', 'right']),
    '',
    `(Times from the event's creation. Earliest: the smallest jitter, every failure an immediate error. Latest: the largest jitter, every failed attempt waiting out its ${RESPONSE_TIMEOUT_SECONDS} s timeout before its delay starts.)`,
    '',
    '```ts',
    regions[3]!,
    '```',
    '',
    `## 3.3 — Slow merchants`,
    '',
    `**Answer.** In one shared queue, every request to a slow endpoint holds a worker for seconds and everyone else waits behind it: head-of-line blocking. The fix is isolation: a queue per endpoint, served in turn, so that one endpoint's backlog is only its own; a cap on the requests in flight to one endpoint, so that a large slow merchant cannot take every worker; slow endpoints (a response slower than 5 s, or a timeout) kept to a quarter of the workers until they answer fast again; and retries kept apart from first attempts, on a quarter of the workers, so that a wave of retries to endpoints that are down cannot hold up fresh events. A merchant that stays slow grows a backlog that only its own server can drain: the reference keeps at most 500 of its events in the dispatcher's memory (the rest wait in durable storage, in order) and alerts the merchant when it gets there. The timeout stays at 30 s: cutting it frees workers sooner but fails merchants that are slow yet working, and their events end dead-lettered.`,
    '',
    `**Where the lanes and the bound change the numbers.** Without a slow lane, retries to the endpoints that are down (each holding a worker for the whole ${noRetryLane.policy.timeoutSeconds} s timeout) take workers from everyone: healthy merchants' p99 is ${seconds(noRetryLane.figures.healthy.p99)}; with retries on a lane of their own it is ${seconds(withRetryLane.figures.healthy.p99)}. The large slow merchant's backlog, unbounded, reaches ${unbounded.run.largestQueue.events} events in the dispatcher's memory, its events waiting up to ${seconds(unbounded.figures.slow.max)}, and nobody is told; bounded, the dispatcher holds ${referenceFleet.run.largestQueue.events} and the merchant is alerted ${seconds(referenceFleet.run.backlogAlerts.get(referenceFleet.run.largestQueue.endpoint) ?? NaN)} into the run. The bound does not make the merchant faster — only its own server can — but it keeps the dispatcher's memory flat and tells the one party who can act.`,
    '',
    `The fleet, simulated (deterministic, seed ${s.seed}): ${s.merchants} merchants — ${referenceFleet.figures.merchants.healthy} healthy (answer in ${s.healthyLatencySeconds[0]}–${s.healthyLatencySeconds[1]} s), ${referenceFleet.figures.merchants.slow} slow (${s.slowLatencySeconds[0]}–${s.slowLatencySeconds[1]} s; one of them a large merchant receiving ${s.largeSlowMerchantShare * 100} % of all events), ${referenceFleet.figures.merchants.down} down (never answer) — ${s.eventsPerSecond} events a second for ${s.trafficSeconds / 60} minutes (${referenceFleet.figures.events} events), ${s.workers} delivery workers, failed attempts retried on the schedule of 3.2 without jitter (the check runs on the student's 3.2 answer). Latency is from the event's creation to the merchant's 2xx. The check requires healthy merchants' p99 ≤ ${HEALTHY_P99_BOUND_SECONDS} s, every slow merchant's event delivered, at most ${MAX_QUEUED_IN_MEMORY} events of one endpoint in the dispatcher's memory, and the merchant that stays slow alerted.`,
    '',
    markdownTable(
      ['policy', 'healthy p50', 'healthy p99', 'healthy max', 'slow merchants: delivered', 'slow p99', 'down: dead-lettered', 'attempts', 'most events of one endpoint in memory', 'check'],
      fleet.map((f) => [
        f.name,
        seconds(f.figures.healthy.p50),
        seconds(f.figures.healthy.p99),
        seconds(f.figures.healthy.max),
        `${f.figures.slow.delivered} / ${f.figures.slow.events}`,
        seconds(f.figures.slow.p99),
        `${f.figures.down.deadLettered} / ${f.figures.down.events}`,
        f.figures.attempts,
        f.policy.queueing === 'per_endpoint' ? f.run.largestQueue.events : '—',
        f.problems.length === 0 ? 'pass' : 'fail',
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
    '',
    `From the naive policy to the reference one, healthy merchants' p99 falls from ${seconds(naiveFleet.figures.healthy.p99)} to ${seconds(referenceFleet.figures.healthy.p99)} — their own response time. The price is paid by the slow merchants alone: their p99 rises from ${seconds(naiveFleet.figures.slow.p99)} to ${seconds(referenceFleet.figures.slow.p99)}, as the large slow merchant's backlog drains at the pace its own server allows; every one of their events is still delivered.`,
    '',
    `![Healthy merchants' p99 latency over time, per policy](slow-merchants.svg)`,
    '',
    '```ts',
    regions[4]!,
    '```',
    '',
    `## 3.4 — After the retries: the event, and the endpoint`,
    '',
    `**Answer.** The event and its endpoint are judged apart. When an event's last retry fails, the event is dead-lettered (kept, not deleted), the merchant is notified, and a replay is allowed; the merchant's handler, idempotent by 3.1, makes a replay of something already processed harmless. In the model's ${dedup.exploration.figures.states} states (on the reference schedule and policy), every finished run ends delivered (${dedupEndings.delivered ?? 0} runs) or dead-lettered with the merchant notified (${dedupEndings.dead_lettered ?? 0} runs), and from every dead-lettered state a replay can still deliver (${replayPossible.id}). Discarding the event or not notifying violates WEBHOOK-1; refusing replays violates ${replayPossible.id}.`,
    '',
    `**The endpoint is another question.** One event running out of retries says little about the endpoint: a payload that crashes the merchant's handler fails on every attempt while the endpoint answers 2xx to everything else. The reference disables an endpoint only after it has failed across events with no 2xx for ${clock(DISABLE_AFTER_SECONDS)}, warns after ${clock(WARN_AFTER_SECONDS)}, and — since events created while an endpoint is disabled are never sent (Stripe does the same: https://stripe.com/docs/workbench/webhooks) — gives the merchant a list of undelivered events to recover from, as Stripe's Events API does with \`delivery_success=false\` over the last 30 days (https://docs.stripe.com/api/events/list); the merchant replays them oldest first, by \`created\` (Stripe's lists return the newest first, https://docs.stripe.com/api/pagination). A handler that passes 3.1 ends in the same state whatever the order, so the order is for the merchant's reading of its own history, not a condition of correctness; the check does not grade it. Keeping the endpoint enabled is a defensible alternative: nothing is cut off and dead letters plus replays recover the rest, at the cost of attempts sent to a server that is gone. The simulation below runs each policy over days of events (one an hour) on the reference schedule; the merchant acts ${clock(MERCHANT_REACTS_AFTER_SECONDS)} after it is told.`,
    '',
    healthTable,
    '',
    '```ts',
    regions[5]!,
    '```',
    '',
    `The shortest run that dead-letters the event and then delivers it by a replay:`,
    '',
    sequence(dedup.exploration.pathTo(replayed)),
    '',
    `![The event's lifecycle](delivery-lifecycle.svg)`,
    '',
  );
  return {
    textValues: textValues(),
    markdown: md.join('\n'),
    files: { 'slow-merchants.svg': plot, 'delivery-lifecycle.svg': lifecycle },
    modelFigures: { 'webhook-delivery': `${invariantFigures}\n\nThe handler's steps (\`handler-steps.ts\`, ${handlerStepsBounds.maxCrashes} crashes and ${handlerStepsBounds.maxLostAcks} lost 2xx at most):\n\n${handlerTable}` },
    summary: `4 tasks; ${webhookInvariants.length + 1} invariants over ${explorations.reduce((n, e) => n + e.exploration.figures.states, 0)} states in ${explorations.length} configs; a ${s.merchants}-merchant simulation (seed ${s.seed}); reference answers ${reports.filter((r) => r.status === 'pass').length}/${reports.length} pass`,
  };
}
