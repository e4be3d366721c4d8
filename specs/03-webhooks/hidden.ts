/**
 * Chapter 3's hidden checks: the instructor's, kept out of the student release. The same
 * answers, loaded as the visible chapter loads them, judged under larger bounds: 3.1 over more
 * and longer random delivery streams under another seed, 3.2 over ten times the jitter draws
 * under another seed, 3.3 on a fleet drawn under another seed, and 3.4 with the endpoint
 * simulated through a busier poison event and an outage twice the scenario's.
 */
import type { Chapter, Task } from '../../tools/grading/task.ts';
import { webhookScenario } from '../../models/webhook-delivery/scenario.ts';
import { chapter as visible } from './chapter.ts';
import { PROPERTY_RUNS } from './bounds.ts';
import { handleWebhookCheck, type HandlerBounds } from './task-handler.ts';
import { retryScheduleCheck } from './task-schedule.ts';
import { dispatchPolicyCheck } from './task-dispatch.ts';
import { terminalPolicyCheck } from './task-terminal.ts';
import { fleetScenario } from './simulation.ts';
import { healthScenarios, type HealthScenario } from './endpoint-health.ts';
import type { ChapterThreeAnswers } from './answer-types.ts';

const HIDDEN_SEED = 4711;

export const hiddenHandlerBounds: HandlerBounds = { seed: HIDDEN_SEED, runs: 5 * PROPERTY_RUNS, maxOrders: 8, maxRefundsPerOrder: 3 };

const HOUR = 3600;
const DAY = 24 * HOUR;
const longerOutageSeconds = 2 * webhookScenario.outageDays * DAY;

/** The visible scenarios, and two more: a poison event among six events an hour, and an outage twice as long. */
export const hiddenHealthScenarios: HealthScenario[] = [
  ...healthScenarios,
  { name: 'poison event among many', everySeconds: 10 * 60, days: 6, succeeds: (event) => event !== 3, fixedAt: 0 },
  {
    name: 'longer outage',
    everySeconds: HOUR,
    days: 2 * webhookScenario.outageDays + 3,
    succeeds: (_, at) => at >= longerOutageSeconds,
    fixedAt: longerOutageSeconds,
  },
];

const visibleTask = (id: string) => visible.tasks.find((t) => t.id === id)!;

const hiddenTasks: Task<ChapterThreeAnswers>[] = [
  { ...visibleTask('3.1'), id: '3.1h', title: 'An idempotent webhook handler, over more and longer delivery streams', check: handleWebhookCheck(hiddenHandlerBounds) },
  { ...visibleTask('3.2'), id: '3.2h', title: 'The retry schedule, over more jitter draws', check: retryScheduleCheck({ seed: HIDDEN_SEED, runs: 10 * PROPERTY_RUNS }) },
  { ...visibleTask('3.3'), id: '3.3h', title: 'Slow merchants, on a fleet drawn under another seed', check: dispatchPolicyCheck({ ...fleetScenario, seed: HIDDEN_SEED }) },
  { ...visibleTask('3.4'), id: '3.4h', title: 'After the retries, through a busier poison event and a longer outage', check: terminalPolicyCheck(hiddenHealthScenarios) },
];

export const chapter: Chapter<ChapterThreeAnswers> = { ...visible, tasks: hiddenTasks };
