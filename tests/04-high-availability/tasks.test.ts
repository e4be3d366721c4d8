import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/04-high-availability/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterFourAnswers } from '../../specs/04-high-availability/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/04-high-availability');
const check = (id: string, answers: ChapterFourAnswers) => runTask(chapter, chapter.tasks.find((t) => t.id === id)!, answers);

describe('chapter 4’s checks', () => {
  it.each(chapter.tasks.map((t) => t.id))('the reference answer to %s passes its check', async (id) => {
    const report = await check(id, reference);
    expect(report.status, report.message).toBe('pass');
  });

  it.each([
    ['4.1', ['architecture'], 'architecture()'],
    ['4.2', ['crossRegionTransfer'], 'crossRegionTransfer()'],
    ['4.3', ['breakerThresholds', 'breakerStep'], 'breakerThresholds() and breakerStep()'],
    ['4.4', ['paymentIntentTransitions', 'confirmRetrySafety'], 'paymentIntentTransitions() and confirmRetrySafety()'],
  ] as const)('an unanswered %s says which functions to edit', async (id, names, where) => {
    const stub = () => {
      throw new Error('TODO: not answered yet');
    };
    const report = await check(id, { ...reference, ...Object.fromEntries(names.map((n) => [n, stub])) });
    expect(report).toMatchObject({ status: 'todo', message: `not answered yet: edit 04-high-availability/answers.ts: ${where}` });
  });

  const arch = reference.architecture();

  it('4.1: failing over to no other region fails; slow promotion falls short of five nines', async () => {
    const single = { ...arch, regions: [{ name: 'us-east', shareOfTransactionsPercent: 100, databaseReplicas: 3, failoverTo: 'us-east' }] };
    const report = await check('4.1', { ...reference, architecture: () => single });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/another region/) });
    // Manual failover: 15 minutes of promotion after each of 2 region failures a year.
    const twoRegions = { ...arch, failover: { ...arch.failover, promotionSeconds: 900 } };
    const low = await check('4.1', { ...reference, architecture: () => twoRegions });
    expect(low).toMatchObject({ status: 'fail', message: expect.stringMatching(/below 99.999 %/) });
  });

  it('4.1: failover without fencing fails with the two-writer trace', async () => {
    const report = await check('4.1', { ...reference, architecture: () => ({ ...arch, failover: { ...arch.failover, fencing: 'none' } }) });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/HA-SINGLE-WRITER/);
    expect(report.trace).toMatch(/cut off[\s\S]*writers us-east \+ us-west/);
  });

  it('4.1: multi-writer accounts fail; a wrong blast radius fails', async () => {
    expect((await check('4.1', { ...reference, architecture: () => ({ ...arch, writes: 'any_region' }) })).status).toBe('fail');
    const report = await check('4.1', { ...reference, architecture: () => ({ ...arch, oneRegionFailureAffectsPercent: 40 }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/22 %/) });
  });

  const withArchitecture = (patch: Partial<typeof arch>) => ({ ...reference, architecture: () => ({ ...arch, ...patch }) });

  it('4.1: two regions at 60/40 fail, since one failure would stop more than today’s 40 %', async () => {
    const report = await check(
      '4.1',
      withArchitecture({
        regions: [
          { name: 'us-east', shareOfTransactionsPercent: 60, databaseReplicas: 3, failoverTo: 'us-west' },
          { name: 'us-west', shareOfTransactionsPercent: 40, databaseReplicas: 3, failoverTo: 'us-east' },
        ],
        oneRegionFailureAffectsPercent: 60,
      }),
    );
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/stops 60 % of transactions.*no better than today's 40 %/) });
  });

  it('4.1: a region that homes no transactions is active-passive, and fails', async () => {
    const report = await check(
      '4.1',
      withArchitecture({
        regions: [
          { name: 'us-east', shareOfTransactionsPercent: 100, databaseReplicas: 3, failoverTo: 'us-west' },
          { name: 'us-west', shareOfTransactionsPercent: 0, databaseReplicas: 3, failoverTo: 'us-east' },
        ],
        oneRegionFailureAffectsPercent: 100,
      }),
    );
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/us-west homes 0 % .*active-passive/) });
  });

  it('4.1: perfect components and regions that never fail are refused, with the reason', async () => {
    const perfect = await check(
      '4.1',
      withArchitecture({
        regions: arch.regions.map((r) => ({ ...r, databaseReplicas: 1 })),
        componentAvailability: { databaseReplica: 1, regionServices: 1, globalRouting: 1 },
        failover: { ...arch.failover, regionFailuresPerYear: 0 },
      }),
    );
    expect(perfect).toMatchObject({ status: 'fail', message: expect.stringMatching(/componentAvailability\.databaseReplica is 1: no component is perfect/) });
    const neverFails = await check('4.1', withArchitecture({ failover: { ...arch.failover, regionFailuresPerYear: 0 } }));
    expect(neverFails).toMatchObject({ status: 'fail', message: expect.stringMatching(/regionFailuresPerYear is 0: regions do fail/) });
  });

  it('4.1: an availability given as a percentage is the wrong shape, and the message says a fraction is expected', async () => {
    const report = await check('4.1', withArchitecture({ componentAvailability: { ...arch.componentAvailability, databaseReplica: 99.95 } }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/databaseReplica is 99.95; expected a fraction from 0 to 1 .*not a percentage/) });
  });

  it('4.1: instant failover (promotionSeconds 0) is refused, saying why promotion takes time', async () => {
    const report = await check('4.1', withArchitecture({ failover: { ...arch.failover, promotionSeconds: 0 } }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/promotionSeconds is 0; expected a number of seconds > 0: detecting the failure and moving the writer takes time/) });
  });

  it('4.1: a blast radius given as a fraction is told a percentage is expected', async () => {
    const report = await check('4.1', withArchitecture({ oneRegionFailureAffectsPercent: 0.22 }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/0\.22 looks like a fraction; oneRegionFailureAffectsPercent is a percentage from 0 to 100/) });
  });

  it('4.1: shares given as fractions are told percentages are expected', async () => {
    const regions = arch.regions.map((r) => ({ ...r, shareOfTransactionsPercent: r.shareOfTransactionsPercent / 100 }));
    const report = await check('4.1', withArchitecture({ regions }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/add up to 1 %, not 100 %: they look like fractions/) });
  });

  it('4.1: an availability below five nines names the component that eats the budget, with the breakdown as the trace', async () => {
    const report = await check('4.1', withArchitecture({ failover: { ...arch.failover, promotionSeconds: 900 } }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/below 99\.999 %.*the largest part, 30\.00 min a year, is failover switch-over$/) });
    expect(report.traceTitle).toBe('where the downtime goes, in minutes a year');
    expect(report.trace).toMatch(/global routing/);
    expect(report.trace).toMatch(/home and failover write paths down together/);
    expect(report.trace).toMatch(/in all \(the budget of 99\.999 %: 5\.26 min\)/);
  });

  it('4.1: multi-writer accounts fail with a short reason, not a model run', async () => {
    const report = await check('4.1', withArchitecture({ writes: 'any_region' }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^writes is "any_region": every region accepts writes for every account, so each account has 5 writers all the time.*HA-SINGLE-WRITER needs one writer region per account$/) });
    expect(report.message).not.toMatch(/states explored/);
    expect(report.trace).toBeUndefined();
  });

  it('4.2: two-phase commit fails with the blocking counterexample', async () => {
    const report = await check('4.2', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', steps: [] }) });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/2PC blocks/);
    expect(report.trace).toMatch(/coordinator crashes[\s\S]*locks held: US/);
  });

  it('4.2: crediting the payee first pays out money not yet collected', async () => {
    const report = await check('4.2', {
      ...reference,
      crossRegionTransfer: () => ({
        protocol: 'saga',
        steps: [
          { action: 'credit_payee_from_transit', compensation: 'reverse_payee_credit' },
          { action: 'debit_payer_into_transit', compensation: 'refund_payer_from_transit' },
        ],
      }),
    });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/XFER-SECURED/) });
  });

  it('4.2: a saga with no compensation leaves money in transit', async () => {
    const report = await check('4.2', {
      ...reference,
      crossRegionTransfer: () => ({
        protocol: 'saga',
        steps: [
          { action: 'debit_payer_into_transit', compensation: null },
          { action: 'credit_payee_from_transit', compensation: null },
        ],
      }),
    });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/XFER-SETTLED/) });
  });

  it('4.3: a half-open breaker that lets every call through fails, with the path', async () => {
    const leaky: ChapterFourAnswers['breakerStep'] = (state, input, t) =>
      state.mode === 'half_open' && input.type === 'CALL_REQUESTED' ? { state: { ...state, probesSent: state.probesSent + 1 }, letThrough: true } : reference.breakerStep(state, input, t);
    const report = await check('4.3', { ...reference, breakerStep: leaky });
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/differs from the model/);
  });

  it('4.3: a breaker that stays half-open after a failed probe fails', async () => {
    const stubborn: ChapterFourAnswers['breakerStep'] = (state, input, t) =>
      state.mode === 'half_open' && input.type === 'PROBE_FAILED' ? { state, letThrough: false } : reference.breakerStep(state, input, t);
    expect((await check('4.3', { ...reference, breakerStep: stubborn })).status).toBe('fail');
  });

  it('4.3: thresholds that can never open the breaker fail', async () => {
    const report = await check('4.3', { ...reference, breakerThresholds: () => ({ ...reference.breakerThresholds(), failureThreshold: 9 }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/never opens/) });
  });

  it('4.3: a window larger than the model explores is refused with its bound and why', async () => {
    const report = await check('4.3', { ...reference, breakerThresholds: () => ({ ...reference.breakerThresholds(), windowSize: 20 }) });
    expect(report).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/windowSize is 20; expected an integer from 1 to 12 \(the model explores every content of the window, so it is bounded\)/),
    });
  });

  const withThresholds = (patch: Partial<ReturnType<ChapterFourAnswers['breakerThresholds']>>) => ({
    ...reference,
    breakerThresholds: () => ({ ...reference.breakerThresholds(), ...patch }),
  });

  it('4.3: thresholds of one call and a millisecond cool-down are refused, with the reason', async () => {
    const report = await check('4.3', withThresholds({ windowSize: 1, failureThreshold: 1, halfOpenProbes: 1, successesToClose: 1, cooldownSeconds: 0.001 }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^windowSize is 1: a window of fewer than 4 calls judges Visa on too few calls/) });
  });

  it.each([
    ['a failure threshold of one call', { failureThreshold: 1 }, /^failureThreshold is 1: a single failed call .* at least 2 failures/],
    ['a cool-down of a millisecond', { cooldownSeconds: 0.001 }, /^cooldownSeconds is 0\.001: under 1 s, an open breaker probes the failing network again almost at once/],
    ['a cool-down of 31 years', { cooldownSeconds: 1e9 }, /^cooldownSeconds is 1000000000: .*more than 5 min in one trip is more than the year's whole 5\.26 min .* at most 300 s/],
  ])('4.3: %s is refused, with the reason', async (_, patch, message) => {
    expect(await check('4.3', withThresholds(patch))).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it('4.3: a breaker that waits for a full window before judging (minimumNumberOfCalls) disagrees with the model', async () => {
    const waitsForFullWindow: ChapterFourAnswers['breakerStep'] = (state, input, t) => {
      const next = reference.breakerStep(state, input, t);
      const full = state.recentOutcomes.length + 1 >= t.windowSize;
      return state.mode === 'closed' && next.state.mode === 'open' && !full
        ? { state: { ...state, recentOutcomes: [...state.recentOutcomes, 'failure'] }, letThrough: false }
        : next;
    };
    const report = await check('4.3', { ...reference, breakerStep: waitsForFullWindow });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/disagrees with the model/) });
  });

  it('4.3: a breakerStep that changes the state it was given fails, saying it must be pure', async () => {
    const mutating: ChapterFourAnswers['breakerStep'] = (state, input, t) => {
      const next = reference.breakerStep(state, input, t);
      if (input.type === 'CALL_FAILED') state.recentOutcomes.push('failure');
      return next;
    };
    const report = await check('4.3', { ...reference, breakerStep: mutating });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/changed its state at step \d+ \(CALL_FAILED in closed\): it must be a pure function/) });
  });

  it('4.4: canceling a processing intent and replacing the payment method before confirming, both documented, are accepted', async () => {
    const transitions = reference.paymentIntentTransitions();
    expect(transitions).toContainEqual({ from: 'processing', event: 'CANCEL', to: 'canceled' });
    transitions.push({ from: 'requires_confirmation', event: 'ATTACH_PAYMENT_METHOD', to: 'requires_confirmation' });
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report).toMatchObject({ status: 'pass', message: expect.stringMatching(/accepted though the status does not change: requires_confirmation --ATTACH_PAYMENT_METHOD--> requires_confirmation/) });
  });

  it('4.4: a transition the model does not make is explained in words', async () => {
    const transitions = [...reference.paymentIntentTransitions(), { from: 'succeeded', event: 'CANCEL', to: 'canceled' } as const, { from: 'processing', event: 'CAPTURE', to: 'succeeded' } as const];
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/succeeded --CANCEL--> canceled \(a PaymentIntent in succeeded is terminal/);
    expect(report.message).toMatch(/processing --CAPTURE--> succeeded \(CAPTURE does not apply in processing/);
  });

  it('4.4: a wrong answer about the late retry is told in the words of the options', async () => {
    const safety = { ...reference.confirmRetrySafety(), retryAfterConfirmGets: 'an unexpected-state error' as const };
    const report = await check('4.4', { ...reference, confirmRetrySafety: () => safety });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/gets “the first response replayed” in the model; you say “an unexpected-state error”/) });
  });

  it('4.4: a status that is not Stripe’s is the wrong shape, with the statuses expected', async () => {
    const transitions = [...reference.paymentIntentTransitions(), { from: 'pending', event: 'CANCEL', to: 'canceled' } as never];
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/from is "pending"; expected one of "requires_payment_method"/) });
  });

  it('4.4: a missing decline arrow and an extra confirm from succeeded fail', async () => {
    const transitions = reference.paymentIntentTransitions().filter((t) => t.event !== 'CARD_DECLINED');
    transitions.push({ from: 'succeeded', event: 'CONFIRM_RECEIVED', to: 'processing' });
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/missing 1: processing --CARD_DECLINED--> requires_payment_method/);
    expect(report.message).toMatch(/not in the model 1: succeeded --CONFIRM_RECEIVED--> processing/);
  });

  it('4.4: a new PaymentIntent per retry, or a new key per retry, fails', async () => {
    const retry = (confirmRetries: 'new_payment_intent' | 'new_idempotency_key') => ({
      ...reference,
      confirmRetrySafety: () => ({ confirmRetries, retryAfterConfirmGets: 'an unexpected-state error' as const, successfulChargesPerIntentAtMost: 1 }),
    });
    expect(await check('4.4', retry('new_payment_intent'))).toMatchObject({ status: 'fail', message: expect.stringMatching(/two intents/) });
    expect(await check('4.4', retry('new_idempotency_key'))).toMatchObject({ status: 'fail', message: expect.stringMatching(/confirms the new card/) });
  });
});
