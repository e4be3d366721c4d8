/**
 * Chapter 4's hidden checks: the instructor's, kept out of the student release. The same
 * answers, loaded and prepared as the visible chapter does, judged under larger bounds:
 *
 * - 4.1h the failover model with an account homed in every region (not only the largest), two
 *   region failures in one run and three writes;
 * - 4.2h the transfer with two crashes and two partitions in one run;
 * - 4.3h five times the seeded walks through the breaker model, under another seed;
 * - 4.4h the retry choice run with automatic capture as well as manual.
 */
import type { Chapter, Task } from '../../tools/grading/task.ts';
import { exploreIntent, failoverConfigFor } from './analysis.ts';
import {
  architectureCheck,
  BREAKER_WALKS,
  chapter as visible,
  circuitBreakerCheck,
  crossRegionCheck,
  paymentIntentCheck,
  type BreakerWalks,
  type FailoverConfigs,
  type RetryConfigs,
  type TransferFaults,
} from './chapter.ts';
import { scenarioConfig as intentScenario } from '../../models/payment-intent/machine.ts';
import type { ChapterFourAnswers } from './answer-types.ts';

export const hiddenFailoverConfigs: FailoverConfigs = (arch) =>
  arch.regions.map((home) => ({ ...failoverConfigFor(arch, home.name), maxRegionFailures: 2, maxWrites: 3 }));
export const hiddenFaults: TransferFaults = { crashes: 2, partitions: 2 };
export const hiddenWalks: BreakerWalks = { walks: 5 * BREAKER_WALKS, seed: 4711 };
export const hiddenRetryConfigs: RetryConfigs = [intentScenario, { ...intentScenario, captureMethod: 'automatic' }];

const visibleTask = (id: string) => visible.tasks.find((t) => t.id === id)!;

const hiddenTasks: Task<ChapterFourAnswers>[] = [
  { ...visibleTask('4.1'), id: '4.1h', title: 'Active-active, an account homed in every region, two failures', check: architectureCheck(hiddenFailoverConfigs) },
  { ...visibleTask('4.2'), id: '4.2h', title: 'Cross-region transactions, two crashes and two partitions', check: crossRegionCheck(hiddenFaults) },
  { ...visibleTask('4.3'), id: '4.3h', title: 'Circuit breaker, five times the walks under another seed', check: circuitBreakerCheck(hiddenWalks) },
  { ...visibleTask('4.4'), id: '4.4h', title: 'PaymentIntent retries, manual and automatic capture', check: paymentIntentCheck(hiddenRetryConfigs) },
];

export const chapter: Chapter<ChapterFourAnswers> = {
  ...visible,
  tasks: hiddenTasks,
  // The retry configs do not depend on an answer's content, only on its key choice: both are
  // explored before any task's clock starts (they are memoised).
  async prepare() {
    await visible.prepare?.();
    for (const config of hiddenRetryConfigs) for (const confirmRetryKey of ['same_key', 'new_key'] as const) exploreIntent({ ...config, confirmRetryKey });
  },
};
