// A cohort variant of chapter 4: every scenario figure read from one file changes the models,
// the checks, the key and the chapter's text, and the reference answers still pass.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillValues } from '../../tools/build/generated.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { useVariant } from '../helpers/variant.ts';

type KeyModule = typeof import('../../solutions/04-high-availability/key.ts');
type ChapterModule = typeof import('../../specs/04-high-availability/chapter.ts');
type ScenarioModule = typeof import('../../models/cross-region-transfer/scenario.ts');
type SagaModule = typeof import('../../models/cross-region-transfer/saga.ts');
type TwoPhaseModule = typeof import('../../models/cross-region-transfer/two-phase.ts');

const dir = mkdtempSync(join(tmpdir(), 'ch4-variant-'));
const figures = {
  annualVolumeTrillionsUsd: 3,
  countries: 27,
  largestRegion: 'EU-West',
  largestRegionSharePercent: 35,
  availabilityTargetPercent: 99.995,
  payerBalanceMinor: 80_000,
  transferAmountMinor: 31_500,
};

/** Chapter 4's modules loaded afresh, with WORKBOOK_VARIANT set or not. */
async function load(variant: object | null) {
  await useVariant(variant, dir);
  const key = (await import('../../solutions/04-high-availability/key.ts')) as KeyModule;
  const { chapter } = (await import('../../specs/04-high-availability/chapter.ts')) as ChapterModule;
  const { highAvailabilityScenario } = (await import('../../models/cross-region-transfer/scenario.ts')) as ScenarioModule;
  const { sagaScenario } = (await import('../../models/cross-region-transfer/saga.ts')) as SagaModule;
  const { twoPhaseScenario } = (await import('../../models/cross-region-transfer/two-phase.ts')) as TwoPhaseModule;
  return { key, chapter, highAvailabilityScenario, sagaScenario, twoPhaseScenario };
}

let defaults: Awaited<ReturnType<typeof load>>;
let variant: Awaited<ReturnType<typeof load>>;
beforeAll(async () => {
  defaults = await load(null);
  variant = await load({ '04-high-availability': figures });
});
afterAll(() => {
  delete process.env.WORKBOOK_VARIANT;
  vi.resetModules();
  rmSync(dir, { recursive: true, force: true });
});

describe('chapter 4 under a cohort variant', () => {
  it('the variant’s figures reach the scenario and both transfer models, and every one differs from the default', () => {
    expect(variant.highAvailabilityScenario).toEqual(figures);
    for (const [name, value] of Object.entries(figures)) expect(defaults.highAvailabilityScenario[name as keyof typeof figures], name).not.toBe(value);
    for (const config of [variant.sagaScenario, variant.twoPhaseScenario]) {
      expect(config.amountMinor).toBe(figures.transferAmountMinor);
      expect(config.initial.payer).toBe(figures.payerBalanceMinor);
    }
  });

  it('the chapter’s text changes with it, in every scenario value it quotes', () => {
    const text = readFileSync('exercises/04-high-availability/README.md', 'utf8');
    const before = defaults.key.textValues();
    const after = variant.key.textValues();
    for (const name of ['annualVolume', 'countries', 'largestRegion', 'largestRegionShare', 'target', 'downtimeBudget']) expect(after[name], name).not.toBe(before[name]);
    const filled = fillValues(text, after);
    expect(filled).toContain(`$${figures.annualVolumeTrillionsUsd}T`);
    expect(filled).toContain(`${figures.countries}<!-- /value --> countries`);
    expect(filled).toContain(`${figures.largestRegion}<!-- /value -->`);
    expect(filled).toContain(`today's <!-- value:largestRegionShare -->${figures.largestRegionSharePercent} %`);
    expect(filled).toContain(`must reach <!-- value:target -->${figures.availabilityTargetPercent} %`);
    // What five nines allow is a fact, not a figure of the scenario: it stays.
    expect(filled).toContain('at five nines (99.999 % allows 5.26 minutes a year)');
  });

  it('the reference answers pass every check under the variant, and the key quotes its figures', async () => {
    const answers = await variant.chapter.loadAnswers('solutions/04-high-availability');
    await variant.chapter.prepare?.();
    for (const task of variant.chapter.tasks) {
      const report = await runTask(variant.chapter, task, answers);
      expect(report.status, `${task.id}: ${report.message}`).toBe('pass');
    }
    const { markdown } = await variant.key.buildKey();
    expect(markdown).toContain(`$${figures.annualVolumeTrillionsUsd}T a year across ${figures.countries} countries`);
    expect(markdown).toContain(`${figures.largestRegion} carries ${figures.largestRegionSharePercent} % today`);
    expect(markdown).toContain(`the target is ${figures.availabilityTargetPercent} % availability`);
    expect(markdown).toContain(`EU transit ends at −${figures.transferAmountMinor}`);
    expect(markdown).not.toContain(`EU transit ends at −${defaults.highAvailabilityScenario.transferAmountMinor}`);
  }, 120_000);

  it('a design that stops as much as the variant’s largest region fails under it, though it would pass the default', async () => {
    const answers = await variant.chapter.loadAnswers('solutions/04-high-availability');
    const reference = answers.architecture();
    const share = figures.largestRegionSharePercent;
    const rest = (100 - share) / (reference.regions.length - 1);
    const lopsided = { ...reference, regions: reference.regions.map((r, i) => ({ ...r, shareOfTransactionsPercent: i === 0 ? share : rest })), oneRegionFailureAffectsPercent: share };
    const task = variant.chapter.tasks.find((t) => t.id === '4.1')!;
    const underVariant = await runTask(variant.chapter, task, { ...answers, architecture: () => lopsided });
    expect(underVariant).toMatchObject({ status: 'fail', message: expect.stringContaining(`no better than today's ${share} % from ${figures.largestRegion}`) });
    const underDefault = await runTask(defaults.chapter, defaults.chapter.tasks.find((t) => t.id === '4.1')!, { ...(await defaults.chapter.loadAnswers('solutions/04-high-availability')), architecture: () => lopsided });
    expect(underDefault.status, underDefault.message).toBe('pass');
  }, 60_000);
});
