/**
 * Task 3.4: after the retries. The event's fate in the delivery model (dead-lettered, notified,
 * replayable), then the endpoint's health over days of many events (endpoint-health.ts).
 */
import { fail, pass, type Task } from '../../tools/grading/task.ts';
import { expectShape, isBoolean, isOneOf } from '../../tools/grading/shape.ts';
import { endsDeliveredOrDeadLettered, replayPossible } from './invariants.ts';
import { dedupConfig, endings, exploreConfig } from './analysis.ts';
import { endpointHealthProblem, healthScenarios, OUTAGE_SECONDS, simulateEndpointHealth, type HealthScenario } from './endpoint-health.ts';
import { scheduleOf } from './task-schedule.ts';
import type { ChapterThreeAnswers, TerminalPolicy } from './answer-types.ts';

/** Each field of the event's fate, when wrong: what the merchant suffers, and the invariant it breaks. */
const terminalPolicyMistakes: { wrong: (p: TerminalPolicy) => boolean; why: string; invariant: string }[] = [
  {
    wrong: (p) => p.event === 'discard',
    why: '`event` is "discard": once its retries run out the event is gone, and nobody can deliver it any more',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.notifyMerchant,
    why: '`notifyMerchant` is false: nobody tells the merchant that its events are failing, so nobody fixes the server or replays them',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.allowReplay,
    why: '`allowReplay` is false: a dead-lettered event can never be delivered, even once the merchant’s server is fixed',
    invariant: replayPossible.id,
  },
];

/** 3.4's check, with the endpoint simulated over some scenarios: the visible task's, or an instructor's more. */
export const terminalPolicyCheck = (scenarios: readonly HealthScenario[]): Task<ChapterThreeAnswers>['check'] => (answers) => {
  const policy = expectShape('3.4 terminalPolicy()', answers.terminalPolicy(), {
    event: isOneOf('dead_letter', 'discard'),
    notifyMerchant: isBoolean,
    allowReplay: isBoolean,
    endpoint: isOneOf('disable_when_an_event_runs_out', 'disable_after_sustained_failure', 'keep_enabled'),
    warnBeforeDisabling: isBoolean,
    backstop: isOneOf('list_undelivered_events', 'none'),
  });
  const schedule = scheduleOf(answers);
  const base = { ...dedupConfig, retryDelaysSeconds: schedule.delays, deadlineSeconds: schedule.promiseSeconds };
  const { exploration, violations } = exploreConfig({ ...base, terminalPolicy: { ...policy } });
  const figures: Record<string, number | string> = { states: exploration.figures.states, finishedRuns: exploration.figures.terminal, schedule: schedule.source };
  const violated = new Set(violations.map((v) => v.id).filter((id) => id === endsDeliveredOrDeadLettered.id || id === replayPossible.id));
  if (violated.size > 0) {
    const causes = terminalPolicyMistakes.filter((m) => violated.has(m.invariant) && m.wrong(policy)).map((m) => `${m.why} (${m.invariant})`);
    // The policy applies once the schedule runs out, whatever its length: with no retries at
    // all, the same violation shows in a few steps instead of a whole schedule.
    const short = exploreConfig({ ...base, retryDelaysSeconds: [], terminalPolicy: { ...policy } }).violations.find((v) => violated.has(v.id));
    const full = violations.find((v) => violated.has(v.id))!;
    return fail(causes.length > 0 ? causes.join('; ') : `${full.id} fails: ${full.statement}`, {
      trace: (short ?? full).trace,
      traceTitle: short ? 'what the model does, shortened: with no retries, the policy applies after the first failed attempt (with your schedule, after the last)' : undefined,
      figures,
    });
  }
  // Many events, days long: the endpoint's health apart from any one event's.
  const runs = scenarios.map((scenario) => simulateEndpointHealth(scenario, policy, schedule.delays));
  for (const run of runs) figures[`lost (${run.scenario})`] = run.lost;
  const problem = endpointHealthProblem(runs);
  if (problem) return fail(problem, { figures });
  const ends = Object.entries(endings(exploration)).map(([status, n]) => `${n} ${status.replace('_', '-')}`).join(', ');
  const onSchedule = schedule.source === '3.2' ? 'on the 3.2 schedule' : 'on the scenario’s schedule (3.2 has no usable answer yet)';
  return pass(
    `${onSchedule}: in ${exploration.figures.states} states every run ends delivered or dead-lettered and notified (${ends}), and a replay can deliver from every dead-lettered state; over days of many events, a poison event and a ${OUTAGE_SECONDS / 86_400}-day outage lose no event (${runs.map((r) => `${r.recovered} recovered after the ${r.scenario}`).join(', ')})`,
    { figures },
  );
};

export const terminalPolicy: Task<ChapterThreeAnswers> = {
  id: '3.4',
  title: 'After the retries',
  answer: 'answers.ts: terminalPolicy()',
  hint: 'When one event has failed for three days, what do you know about the endpoint — and what about the next event? Who can still fix the problem, how do they learn of it, and how do they find every event they missed, including those never sent?',
  check: terminalPolicyCheck(healthScenarios),
};
