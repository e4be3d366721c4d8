/**
 * Chapter 1's answer key, generated: every figure, table, trace and diagram below comes from
 * a run of the model or of the reference answers during `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markdownTable } from '../../tools/render/table.ts';
import { sequenceOfTrace } from '../../tools/render/sequence.ts';
import { projectExploration, renderSvg } from '../../tools/render/state-diagram.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { solutionRegions } from '../../tools/build/stubs.ts';
import type { ChapterKey } from '../../tools/build/chapter-key.ts';
import type { Trace } from '../../tools/explore/explore.ts';
import { scenarioConfig, type IdempotencyConfig, type IdempotencyEvent } from '../../models/idempotency-store/machine.ts';
import { participants, sequenceOfStep } from '../../models/idempotency-store/describe.ts';
import { idempotencyInvariants } from '../../specs/01-idempotency/invariants.ts';
import {
  changedBodyConfig,
  distinctOutcomes,
  doubleChargeRun,
  exploreConfig,
  firstState,
  keysOffConfig,
  recoveryConfig,
  traceText,
  type Snapshot,
} from '../../specs/01-idempotency/analysis.ts';
import { chapter, keyedRetryCases, PROPERTY_RUNS, PROPERTY_SEED } from '../../specs/01-idempotency/chapter.ts';
import * as reference from './answers.ts';

const hours = (seconds: number) => (seconds < 3600 ? `${seconds} s` : `${+(seconds / 3600).toFixed(3)} h`);

/** A trace of the model as a sequence diagram. */
const sequence = (trace: Trace<Snapshot, IdempotencyEvent>) => sequenceOfTrace(trace, participants, sequenceOfStep);

const lifecycleConfig: IdempotencyConfig = { ...recoveryConfig, ttlSeconds: 30 };

const configs: [string, IdempotencyConfig][] = [
  ['the scenario, keys on', scenarioConfig],
  ['the scenario, keys off', keysOffConfig],
  ['a retry with changed parameters', changedBodyConfig],
  ['one crash, card network failures, two retries', recoveryConfig],
];

/** TTLs and retry windows of the 1.3 table (seconds). */
export const ttlGrid = [3600, 24 * 3600, 7 * 24 * 3600];
export const windowGrid = [33, 3600, 12 * 3600, 24 * 3600 - 28, 24 * 3600, 72 * 3600];

export function ttlTable() {
  return ttlGrid.flatMap((ttl) =>
    windowGrid.map((window) => {
      const run = doubleChargeRun(ttl, window);
      return { ttl, window, latestArrival: window + scenarioConfig.clientTimeoutSeconds, possible: run.possible, states: run.exploration.figures.states };
    }),
  );
}

export async function buildKey(): Promise<ChapterKey> {
  const answersFile = fileURLToPath(new URL('./answers.ts', import.meta.url));
  const regions = solutionRegions(readFileSync(answersFile, 'utf8'), 'typescript');
  const answers = await chapter.loadAnswers(fileURLToPath(new URL('.', import.meta.url)));
  const reports = [];
  for (const task of chapter.tasks) reports.push(await runTask(chapter, task, answers));

  const explorations = configs.map(([name, config]) => ({ name, exploration: exploreConfig(config) }));
  const keysOff = distinctOutcomes(keysOffConfig);
  const keyed = distinctOutcomes(scenarioConfig);
  const cases = keyedRetryCases();
  const table = ttlTable();
  const recovery = exploreConfig(recoveryConfig);
  const crashRecovered = firstState(
    recovery,
    (s) => s.context.crashes === 1 && s.context.client.result?.status === 200 && s.context.charges.length === 1 && s.context.charges[0]!.attempt > 1,
  );
  const inFlight = firstState(keyed.exploration, (s) => s.context.arrivals.some((a) => a.attempt === 2 && a.found === 'in_flight') && s.context.client.phase === 'done');
  const changed = distinctOutcomes(changedBodyConfig).exploration;
  const changedRun = firstState(changed, (s) => s.context.arrivals.some((a) => a.attempt === 2 && a.foundBody !== null && a.foundBody !== a.body) && s.context.client.phase === 'done');

  // Keys kept only 30 s here, so that the runs also reach expiry and a request after it.
  const shortLived = exploreConfig(lifecycleConfig);
  const projected = projectExploration(shortLived.snapshots, shortLived.edges, (s) => Object.values(s.context.store)[0]?.status ?? 'absent');
  const lifecycle = await renderSvg({
    nodes: projected.nodes.map((node) => ({ ...node, initial: node.id === 'absent' })),
    edges: projected.edges,
    title: `Key lifecycle: every arrow is a transition the explorer took (${shortLived.figures.states} states)`,
  });

  const examples = [
    { merchantId: 'acct_1Merchant', orderId: 'order_1842', action: 'charge' as const, attempt: 1 },
    { merchantId: 'acct_1Merchant', orderId: 'order_1842', action: 'charge' as const, attempt: 2 },
    { merchantId: 'acct_1Merchant', orderId: 'order_1842', action: 'refund' as const, attempt: 1 },
    { merchantId: 'acct_1Merchant', orderId: 'order_1843', action: 'charge' as const, attempt: 1 },
  ].map((op) => ({
    ...op,
    key: reference.makeIdempotencyKey({
      ...op,
      amountMinor: 10_000,
      currency: 'usd',
      customerEmail: 'alice@example.com',
      cardNumber: '4242424242424242',
      attemptedAt: new Date(Date.parse('2026-11-25T09:00:00Z') + (op.attempt - 1) * 33_000).toISOString(),
    }),
  }));

  const offOutcome = keysOff.outcomes[0]!.outcome;
  const md: string[] = [];
  md.push(
    `# Chapter 1 — Idempotency keys: answer key`,
    '',
    `_Generated by \`npm run build\` from the model in \`models/idempotency-store/\` and the reference answers in \`solutions/01-idempotency/answers.ts\`. Do not edit by hand._`,
    '',
    `The scenario: the merchant's server sends a charge of ${scenarioConfig.amountMinor} minor units; the API charges the card, but the response does not arrive within the client's ${scenarioConfig.clientTimeoutSeconds} s timeout; the client retries ${scenarioConfig.retryDelaysSeconds[0]} s later. The model explores every interleaving of the client, the network, the API server, its key store and the clock.`,
    '',
    `## Checks of the reference answers`,
    '',
    markdownTable(
      ['task', 'status', 'what the check found'],
      reports.map((r) => [r.id, r.status.toUpperCase(), r.message]),
    ),
    '',
    `## The invariants, and where they hold`,
    '',
    markdownTable(
      ['id', 'task', 'statement', ...explorations.map((e) => e.name)],
      idempotencyInvariants.map((inv) => [
        inv.id,
        inv.task,
        inv.statement,
        ...explorations.map(({ exploration }) => (exploration.violations.some((v) => v.property.id === inv.id) ? '**violated**' : 'holds')),
      ]),
    ),
    '',
    markdownTable(
      ['config', 'distinct states', 'transitions', 'depth', 'finished runs'],
      explorations.map(({ name, exploration: e }) => [name, e.figures.states, e.figures.transitions, e.figures.depth, e.figures.terminal]),
      ['left', 'right', 'right', 'right', 'right'],
    ),
    '',
    `## 1.1 — Retry without idempotency keys`,
    '',
    `**Answer.** The API has no way to tell the retry from a new payment, so it charges the card again: ${offOutcome.charges} charges, ${offOutcome.totalChargedMinor} minor units taken for one order, and the merchant records ${offOutcome.merchantSees} while the first one is unknown to it. The model finds this outcome in all ${keysOff.runs.length} finished interleavings that match the scenario (${keysOff.exploration.figures.states} states explored), and ${idempotencyInvariants[0]!.id} (“${idempotencyInvariants[0]!.statement}”) is violated.`,
    '',
    '```ts',
    regions[0]!,
    '```',
    '',
    `The shortest run of the scenario without keys:`,
    '',
    sequence(keysOff.exploration.pathTo(keysOff.shortest!)),
    '',
    '```text',
    traceText(keysOff.exploration, keysOff.shortest!),
    '```',
    '',
    `## 1.2 — Retry with an idempotency key`,
    '',
    `**Answer.** The retry carries the same key. The API looks the key up, finds it **completed**, compares the retry's parameters with the saved request's, and replays the saved response: status ${cases.afterCompletion.answer.response.status}, the same charge, marked as a replay (Stripe sets the \`Idempotent-Replayed: true\` header), and ${cases.afterCompletion.answer.response.newCharges} new charges. Steps: ${cases.afterCompletion.answer.steps.map((s) => `\`${s}\``).join(' → ')}. Had the retry arrived while the first request was still executing, it would have found the key **in flight** and got ${cases.whileFirstInFlight.answer.status} (no result saved, retry later); had it changed the parameters, ${cases.withChangedParameters.answer.status} (an idempotency error). In all ${keyed.runs.length} finished interleavings of the scenario with keys the customer is charged ${keyed.outcomes.map((o) => o.outcome.charges).join(' or ')} time(s).`,
    '',
    '```ts',
    regions[1]!,
    '```',
    '',
    `The retry after the first request completed:`,
    '',
    sequence(keyed.exploration.pathTo(keyed.shortest!)),
    '',
    `The retry arriving while the first request is still in flight:`,
    '',
    sequence(keyed.exploration.pathTo(inFlight!)),
    '',
    `The retry reusing the key with changed parameters:`,
    '',
    sequence(changed.pathTo(changedRun!)),
    '',
    `A server crash mid-request: the key stays locked until its lock times out (${recoveryConfig.lockTimeoutSeconds} s here), then a retry executes the payment exactly once. The charge and the saved response commit together, and a request checks it still holds the lock before it charges (a fencing check), so a lock that timed out cannot lead to a second charge:`,
    '',
    sequence(recovery.pathTo(crashRecovered!)),
    '',
    `## 1.3 — How long to keep keys`,
    '',
    `**Answer.** A key must outlive every retry of its operation: if it expires while the client may still retry, the retry is treated as new and charges again. The model makes this exact: with one retry sent at the end of the retry window, a double charge is possible exactly when the TTL is at most the window plus the client's ${scenarioConfig.clientTimeoutSeconds} s timeout (the latest moment the retry can reach the server). Stripe keeps keys for at least 24 hours (https://docs.stripe.com/api/idempotent_requests); the reference answer keeps them ${reference.keyTtl().ttlHours} h for a retry window of ${reference.keyTtl().retryWindowHours} h.`,
    '',
    markdownTable(
      ['TTL', 'retry sent at', 'latest arrival', 'double charge possible?', 'states explored'],
      table.map((row) => [hours(row.ttl), hours(row.window), hours(row.latestArrival), row.possible ? '**yes**' : 'no', row.states]),
      ['right', 'right', 'right', 'left', 'right'],
    ),
    '',
    `A TTL of 24 h against a client still retrying at 24 h: the double charge the model finds —`,
    '',
    '```text',
    doubleChargeRun(24 * 3600, 24 * 3600).trace ?? '(none)',
    '```',
    '',
    '```ts',
    regions[2]!,
    '```',
    '',
    `## 1.4 — The key format`,
    '',
    `**Answer.** Derive the key from what identifies the operation — merchant, action, order — and from nothing that changes between attempts (attempt number, timestamp) or that is personal data (card number, email). Hashing keeps it within Stripe's 255 characters whatever the order id's length. (Stripe suggests random V4 UUIDs; a random key works only if it is generated once per operation and stored with the order before the first attempt, so that every retry reuses it. A key derived from the order needs no storage.) Checked by four properties over ${PROPERTY_RUNS} random operations each (seed ${PROPERTY_SEED}), and by replaying the scenario in the model with the client deriving each attempt's key from the function.`,
    '',
    markdownTable(
      ['merchant', 'action', 'order', 'attempt', 'key'],
      examples.map((e) => [e.merchantId, e.action, e.orderId, e.attempt, `\`${e.key}\``]),
    ),
    '',
    '```ts',
    regions[3]!,
    '```',
    '',
    `## The key's lifecycle`,
    '',
    `Projected from an exploration of the recovery config with keys kept only ${lifecycleConfig.ttlSeconds} s (so that runs reach expiry): the status of the key in every reachable state, and the events that change it. A request that finds the key expired is treated as new and locks it again.`,
    '',
    `![Key lifecycle](key-lifecycle.svg)`,
    '',
  );
  const scenarioValues = markdownTable(
    ['constant', 'the scenario’s value'],
    Object.entries(scenarioConfig).map(([name, value]) => [
      `\`${name}\``,
      typeof value === 'function' ? `one key per operation (\`${value(1)}\`)` : JSON.stringify(value),
    ]),
  );
  const figures = scenarioValues + '\n\n' + markdownTable(
    ['config', 'distinct states', 'transitions', 'depth', 'invariants violated'],
    explorations.map(({ name, exploration: e }) => [name, e.figures.states, e.figures.transitions, e.figures.depth, e.violations.map((v) => v.property.id).join(', ') || 'none']),
  );
  return { markdown: md.join('\n'), files: { 'key-lifecycle.svg': lifecycle }, modelFigures: { 'idempotency-store': figures },
    summary: `4 tasks; ${idempotencyInvariants.length} invariants over ${explorations.reduce((n, e) => n + e.exploration.figures.states, 0)} states in ${explorations.length} configs; reference answers ${reports.filter((r) => r.status === 'pass').length}/${reports.length} pass`,
  };
}
