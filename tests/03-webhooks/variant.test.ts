// A cohort variant of chapter 3: every scenario figure read from one file changes the model, the
// simulations, the checks, the key's figures and the chapter's text, and the reference answers
// (and the right-but-different ones) still pass.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillValues } from '../../tools/build/generated.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { useVariant } from '../helpers/variant.ts';

type KeyModule = typeof import('../../solutions/03-webhooks/key.ts');
type ChapterModule = typeof import('../../specs/03-webhooks/chapter.ts');
type ScenarioModule = typeof import('../../models/webhook-delivery/scenario.ts');
type MachineModule = typeof import('../../models/webhook-delivery/machine.ts');
type SimulationModule = typeof import('../../specs/03-webhooks/simulation.ts');

const dir = mkdtempSync(join(tmpdir(), 'ch3-variant-'));
const figures = {
  paymentAmountMinor: 4_250,
  responseTimeoutSeconds: 20,
  promiseHours: 96,
  exampleFirstRetrySeconds: 120,
  exampleBackoffFactor: 3,
  exampleRetries: 7,
  firstRetryWithinSeconds: 900,
  minOverallGrowth: 8,
  minRetries: 4,
  maxAttempts: 30,
  minPromiseHours: 36,
  minCoveragePercent: 40,
  merchants: 6_000,
  workers: 120,
  eventsPerSecond: 40,
  trafficSeconds: 480,
  fleetSeed: 99,
  healthyP99BoundSeconds: 3,
  maxQueuedInMemory: 1_500,
  outageDays: 4,
  merchantReactsHours: 12,
};

/** Chapter 3's modules loaded afresh, with WORKBOOK_VARIANT set or not. */
async function load(variant: object | null) {
  await useVariant(variant, dir);
  const key = (await import('../../solutions/03-webhooks/key.ts')) as KeyModule;
  const { chapter } = (await import('../../specs/03-webhooks/chapter.ts')) as ChapterModule;
  const { webhookScenario } = (await import('../../models/webhook-delivery/scenario.ts')) as ScenarioModule;
  const { scenarioConfig } = (await import('../../models/webhook-delivery/machine.ts')) as MachineModule;
  const { fleetScenario } = (await import('../../specs/03-webhooks/simulation.ts')) as SimulationModule;
  return { key, chapter, webhookScenario, scenarioConfig, fleetScenario };
}

let defaults: Awaited<ReturnType<typeof load>>;
let variant: Awaited<ReturnType<typeof load>>;
beforeAll(async () => {
  defaults = await load(null);
  variant = await load({ '03-webhooks': figures });
}, 60_000);
afterAll(() => {
  delete process.env.WORKBOOK_VARIANT;
  vi.resetModules();
  rmSync(dir, { recursive: true, force: true });
});

describe('chapter 3 under a cohort variant', () => {
  it('the variant’s figures reach the scenario, and every one differs from the default', () => {
    expect(variant.webhookScenario).toEqual(figures);
    for (const [name, value] of Object.entries(figures)) expect(defaults.webhookScenario[name as keyof typeof figures], name).not.toBe(value);
  });

  it('the model and the fleet read them', () => {
    expect(variant.scenarioConfig).toMatchObject({ responseTimeoutSeconds: 20, deadlineSeconds: 96 * 3600, event: { amountMinor: 4_250 } });
    expect(variant.scenarioConfig.retryDelaysSeconds).toEqual([120, 360, 1080, 3240, 9720, 29_160, 87_480]);
    expect(variant.fleetScenario).toMatchObject({ merchants: 6_000, workers: 120, eventsPerSecond: 40, trafficSeconds: 480, seed: 99 });
  });

  it('the chapter’s text changes with it, in every value it quotes but Stripe’s own tolerance', () => {
    const text = readFileSync('exercises/03-webhooks/README.md', 'utf8');
    const before = defaults.key.textValues();
    const after = variant.key.textValues();
    for (const name of Object.keys(before)) {
      if (name === 'toleranceSeconds') expect(after[name], name).toBe(before[name]);
      else expect(after[name], name).not.toBe(before[name]);
    }
    const filled = fillValues(text, after);
    expect(filled).toContain('webhook to **<!-- value:merchants -->6,000<!-- /value --> merchants**');
    expect(filled).toContain('<!-- value:responseTimeout -->20 s<!-- /value --> response timeout');
    expect(filled).toContain('at least **<!-- value:minPromise -->36 h<!-- /value -->**');
    expect(filled).toContain('<!-- value:outageDays -->4<!-- /value -->-day outage');
    expect(filled).not.toContain('10,000');
    // A fact about Stripe is not a figure of the scenario: it stays.
    expect(filled).toContain('<!-- value:toleranceSeconds -->300 s<!-- /value -->');
  });

  it('the key’s figures change with it: the fleet, the scenario’s event and timeout', async () => {
    const key = await variant.key.buildKey();
    expect(key.summary).toMatch(/a 6000-merchant simulation \(seed 99\)/);
    expect(key.markdown).toContain('order 1842, 4250 minor units');
    expect(key.markdown).toContain('slower than the 20 s timeout');
    expect(key.markdown).not.toContain('10000 merchants');
  }, 120_000);

  it('the checks apply the variant’s rules: a schedule sound by default fails a stricter promise floor', async () => {
    const reference = await variant.chapter.loadAnswers('solutions/03-webhooks');
    const task = variant.chapter.tasks.find((t) => t.id === '3.2')!;
    const short = { ...reference.retrySchedule(), baseDelaysSeconds: [30, 300, 1800, 7200, 21_600, 36_000, 43_200], promiseHours: 34 };
    const withDefaults = await runTask(defaults.chapter, defaults.chapter.tasks.find((t) => t.id === '3.2')!, { ...reference, retrySchedule: () => short });
    expect(withDefaults.status, withDefaults.message).toBe('pass');
    const withVariant = await runTask(variant.chapter, task, { ...reference, retrySchedule: () => short });
    expect(withVariant.status).toBe('fail');
    expect(withVariant.message).toMatch(/34 h/);
  }, 60_000);

  it.each(['solutions/03-webhooks', 'tests/fixtures/right-but-different/03-webhooks'])('the answers in %s still pass every task under it', async (folder) => {
    const answers = await variant.chapter.loadAnswers(folder);
    for (const task of variant.chapter.tasks) {
      const report = await runTask(variant.chapter, task, answers);
      expect(report.status, `${task.id}: ${report.message}`).toBe('pass');
    }
  }, 180_000);
});
