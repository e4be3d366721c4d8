/**
 * Task 3.3: slow merchants, judged by the fleet simulation (simulation.ts) under the answer's
 * dispatch policy, retrying on the 3.2 schedule.
 */
import { fail, pass, type Task } from '../../tools/grading/task.ts';
import { describedAs, expectShape, isBoolean, isInteger, isOneOf } from '../../tools/grading/shape.ts';
import { webhookScenario } from '../../models/webhook-delivery/scenario.ts';
import { fleetFigures, fleetScenario, simulateFleet, type FleetScenario } from './simulation.ts';
import { isPositiveNumber, scheduleOf } from './task-schedule.ts';
import type { ChapterThreeAnswers, DispatchPolicy } from './answer-types.ts';

/** Healthy merchants answer within 0.8 s; their events must be delivered within this, at p99. */
export const HEALTHY_P99_BOUND_SECONDS = webhookScenario.healthyP99BoundSeconds;
/**
 * The dispatcher's memory for one endpoint's waiting events: a merchant that stays slow must not
 * grow a queue without bound in the dispatcher (what does not fit waits in durable storage).
 */
export const MAX_QUEUED_IN_MEMORY = webhookScenario.maxQueuedInMemory;

export function checkDispatchPolicy(policy: DispatchPolicy, scenario: FleetScenario = fleetScenario) {
  const run = simulateFleet(scenario, policy);
  const figures = fleetFigures(run);
  const problems: string[] = [];
  if (!(figures.healthy.p99 <= HEALTHY_P99_BOUND_SECONDS)) {
    problems.push(`healthy merchants’ p99 delivery latency is ${figures.healthy.p99.toFixed(2)} s, above ${HEALTHY_P99_BOUND_SECONDS} s`);
  }
  const abandoned = figures.slow.events - figures.slow.delivered;
  if (abandoned > 0) problems.push(`${abandoned} of ${figures.slow.events} events of slow merchants (which do answer, in up to ${scenario.slowLatencySeconds[1]} s) were never delivered`);
  // The large slow merchant stays slow for the whole run: its backlog is the one that grows.
  if (policy.queueing === 'per_endpoint') {
    const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;
    if (run.largestQueue.events > MAX_QUEUED_IN_MEMORY) {
      problems.push(`one merchant that stays slow has ${run.largestQueue.events} events waiting in the dispatcher’s memory at once (its events wait up to ${minutes(figures.slow.max)}), more than the ${MAX_QUEUED_IN_MEMORY} it may hold`);
    } else if (!run.backlogAlerts.has(run.largestQueue.endpoint)) {
      problems.push(`the merchant that stays slow is never told that its events wait up to ${minutes(figures.slow.max)}`);
    }
  }
  return { figures, problems, run };
}

const isShare = describedAs((v) => isPositiveNumber(v) && v < 1, 'a fraction of the workers above 0 and below 1 (0.25 for a quarter), not a percentage');

/** The policy's shape, field by field (WrongShape names the field). */
function expectDispatchPolicy(raw: unknown): DispatchPolicy {
  const where = '3.3 dispatchPolicy()';
  const policy = expectShape(where, raw as DispatchPolicy, {
    queueing: isOneOf('shared_fifo', 'per_endpoint'),
    timeoutSeconds: describedAs((v) => isPositiveNumber(v) && v <= 600, 'a number of seconds above 0, at most 600'),
  });
  if (policy.queueing !== 'per_endpoint') return policy;
  const nullOr = (fields: string) => describedAs((v) => v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v)), `null, or { ${fields} }`);
  expectShape(where, policy, {
    maxInFlightPerEndpoint: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'),
    slowLane: nullOr('slowAfterSeconds, workerShare'),
    retryLane: nullOr('workerShare'),
    backlog: nullOr('maxQueuedPerEndpoint, alertMerchant'),
  });
  if (policy.slowLane) expectShape(where, policy, { slowLane: { slowAfterSeconds: describedAs(isPositiveNumber, 'a number of seconds > 0'), workerShare: isShare } });
  if (policy.retryLane) expectShape(where, policy, { retryLane: { workerShare: isShare } });
  if (policy.backlog) {
    expectShape(where, policy, { backlog: { maxQueuedPerEndpoint: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'), alertMerchant: isBoolean } });
  }
  return policy;
}

/** 3.3's check on a fleet: the visible task's, or an instructor's under another seed. */
export const dispatchPolicyCheck = (fleet: FleetScenario): Task<ChapterThreeAnswers>['check'] => (answers) => {
  const policy = expectDispatchPolicy(answers.dispatchPolicy());
  const schedule = scheduleOf(answers);
  const scenario = { ...fleet, retryDelaysSeconds: schedule.delays };
  const { figures, problems, run } = checkDispatchPolicy(policy, scenario);
  const s = scenario;
  const numbers: Record<string, number | string> = {
    merchants: s.merchants,
    events: figures.events,
    seed: s.seed,
    healthyP99Ms: Math.round(figures.healthy.p99 * 1000),
    slowDelivered: figures.slow.delivered,
    largestQueue: run.largestQueue.events,
    schedule: schedule.source,
  };
  const onSchedule = schedule.source === '3.2' ? 'retries on the 3.2 schedule' : 'retries on the scenario’s schedule (3.2 has no usable answer yet)';
  if (problems.length > 0) return fail(`${problems.join('; ')} (${s.merchants} merchants, ${figures.events} events, seed ${s.seed}, ${onSchedule})`, { figures: numbers });
  return pass(
    `${s.merchants} merchants, ${figures.events} events (seed ${s.seed}, ${onSchedule}): healthy merchants’ p99 ${figures.healthy.p99.toFixed(2)} s ≤ ${HEALTHY_P99_BOUND_SECONDS} s; every slow merchant’s event delivered; at most ${run.largestQueue.events} events of one endpoint in memory, and the merchant that stays slow alerted`,
    { figures: numbers },
  );
};

export const dispatchPolicy: Task<ChapterThreeAnswers> = {
  id: '3.3',
  title: 'Slow merchants',
  answer: 'answers.ts: dispatchPolicy()',
  hint: 'In one shared queue, how long does a worker stay busy with a request to a merchant that takes 20 s to answer, and who waits meanwhile? What keeps one endpoint, or a wave of retries to endpoints that are down, from taking every worker? And when one merchant stays slow for an hour, where do its waiting events live, and who finds out?',
  check: dispatchPolicyCheck(fleetScenario),
};
