// A cohort variant of chapter 1: every scenario figure read from one file changes the model,
// the checks, the key and the chapter's text, and the reference answers still pass.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillValues } from '../../tools/build/generated.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { useVariant } from '../helpers/variant.ts';

type KeyModule = typeof import('../../solutions/01-idempotency/key.ts');
type ChapterModule = typeof import('../../specs/01-idempotency/chapter.ts');
type ScenarioModule = typeof import('../../models/idempotency-store/scenario.ts');

const dir = mkdtempSync(join(tmpdir(), 'ch1-variant-'));
const figures = {
  amountMinor: 4_250,
  clientTimeoutSeconds: 20,
  retryDelaySeconds: 12,
  keyTtlHours: 48,
  lockTimeoutSeconds: 45,
  crashWindowLockTimeoutSeconds: 25,
  minRetryWindowHours: 2,
};

/** Chapter 1's modules loaded afresh, with WORKBOOK_VARIANT set or not. */
async function load(variant: object | null) {
  await useVariant(variant, dir);
  const key = (await import('../../solutions/01-idempotency/key.ts')) as KeyModule;
  const { chapter } = (await import('../../specs/01-idempotency/chapter.ts')) as ChapterModule;
  const { idempotencyScenario } = (await import('../../models/idempotency-store/scenario.ts')) as ScenarioModule;
  return { key, chapter, idempotencyScenario };
}

let defaults: Awaited<ReturnType<typeof load>>;
let variant: Awaited<ReturnType<typeof load>>;
beforeAll(async () => {
  defaults = await load(null);
  variant = await load({ '01-idempotency': figures });
});
afterAll(() => {
  delete process.env.WORKBOOK_VARIANT;
  vi.resetModules();
  rmSync(dir, { recursive: true, force: true });
});

describe('chapter 1 under a cohort variant', () => {
  it('the variant’s figures reach the scenario, and every one differs from the default', () => {
    expect(variant.idempotencyScenario).toEqual(figures);
    for (const [name, value] of Object.entries(figures)) expect(defaults.idempotencyScenario[name as keyof typeof figures], name).not.toBe(value);
  });

  it('the chapter’s text changes with it, in every value it quotes', () => {
    const text = readFileSync('exercises/01-idempotency/README.md', 'utf8');
    const before = defaults.key.textValues();
    const after = variant.key.textValues();
    for (const name of Object.keys(before)) expect(after[name], name).not.toBe(before[name]);
    const filled = fillValues(text, after);
    expect(filled).toContain(`${figures.amountMinor} minor units`);
    expect(filled).toContain(`${figures.clientTimeoutSeconds} seconds`);
    expect(filled).toContain(`${figures.retryDelaySeconds} seconds`);
    expect(filled).toContain(`keeps keys <!-- value:ttl -->${figures.keyTtlHours} h`);
    // A fact about Stripe is not a figure of the scenario: it stays.
    expect(filled).toContain('Stripe may prune keys once they\nare at least 24 hours old');
  });

  it('the reference answers pass every check under the variant, and the key quotes its figures', async () => {
    const answers = await variant.chapter.loadAnswers('solutions/01-idempotency');
    await variant.chapter.prepare?.();
    for (const task of variant.chapter.tasks) {
      const report = await runTask(variant.chapter, task, answers);
      expect(report.status, `${task.id}: ${report.message}`).toBe('pass');
    }
    const { markdown } = await variant.key.buildKey();
    expect(markdown).toContain(`a charge of ${figures.amountMinor} minor units`);
    expect(markdown).toContain(`the client's ${figures.clientTimeoutSeconds} s timeout; the client retries ${figures.retryDelaySeconds} s later`);
    expect(markdown).toContain(`${2 * figures.amountMinor} minor units taken`);
    expect(markdown).toContain(`released ${figures.crashWindowLockTimeoutSeconds} s after it is taken`);
    expect(markdown).toContain(`A TTL of ${figures.keyTtlHours} h against a client still retrying at ${figures.keyTtlHours} h`);
  }, 120_000);

  it('the default answer to 1.1 fails under the variant: the check reads the variant’s amount', async () => {
    const report = await runTask(variant.chapter, variant.chapter.tasks[0]!, {
      ...(await variant.chapter.loadAnswers('solutions/01-idempotency')),
      retryWithoutKeys: () => ({ charges: 2, totalChargedMinor: 2 * defaults.idempotencyScenario.amountMinor, merchantSees: 'a new charge' }),
    });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^totalChargedMinor = /) });
  });
});
