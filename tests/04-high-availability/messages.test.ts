// Plausible wrong answers to chapter 4, each with the verdict it must get, and a search of what a
// failing check shows (message, trace, figures) for the value the wrong answer should have had.
import { describe, expect, it } from 'vitest';
import { chapter } from '../../specs/04-high-availability/chapter.ts';
import { availabilityReport } from '../../specs/04-high-availability/availability.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterFourAnswers } from '../../specs/04-high-availability/answer-types.ts';

const reference = await chapter.loadAnswers('solutions/04-high-availability');
const arch = reference.architecture();
const policy = reference.breakerPolicy();
const safety = reference.confirmRetrySafety();
const transitions = reference.paymentIntentTransitions();
const blastRadius = availabilityReport(arch).blastRadiusPercent;

interface WrongAnswer {
  name: string;
  task: string;
  answers: Partial<ChapterFourAnswers>;
  /** What the check must not show: the right value, or the reference's own wording of it. */
  mustNotShow: (string | RegExp)[];
}

const wrongAnswers: WrongAnswer[] = [
  { name: 'a blast radius that is not what the shares give', task: '4.1', answers: { architecture: () => ({ ...arch, oneRegionFailureAffectsPercent: blastRadius + 5 }) }, mustNotShow: [new RegExp(`\\b${blastRadius}\\b`)] },
  { name: 'asynchronous replication', task: '4.1', answers: { architecture: () => ({ ...arch, replication: 'asynchronous' }) }, mustNotShow: ['quorum', /(?<!a)synchronous/] },
  { name: 'no fencing of the old writer', task: '4.1', answers: { architecture: () => ({ ...arch, failover: { ...arch.failover, fencing: 'none' } }) }, mustNotShow: ['local_epoch', 'lease_bounded_drift'] },
  { name: 'writes accepted on both sides of a partition', task: '4.1', answers: { architecture: () => ({ ...arch, duringPartition: 'accept_writes_on_both_sides' }) }, mustNotShow: ['refuse_writes_for_affected_accounts'] },
  {
    name: 'a saga whose refused credit is never compensated',
    task: '4.2',
    answers: { crossRegionTransfer: () => ({ protocol: 'saga', steps: [{ action: 'debit_payer_into_transit', compensation: null }, { action: 'credit_payee_from_transit', compensation: null }] }) },
    mustNotShow: ['refund_payer_from_transit'],
  },
  {
    name: 'a saga whose debit is undone by the EU’s reversal',
    task: '4.2',
    answers: { crossRegionTransfer: () => ({ protocol: 'saga', steps: [{ action: 'debit_payer_into_transit', compensation: 'reverse_payee_credit' }, { action: 'credit_payee_from_transit', compensation: null }] }) },
    mustNotShow: ['refund_payer_from_transit'],
  },
  { name: 'a saga that never pays the payee', task: '4.2', answers: { crossRegionTransfer: () => ({ protocol: 'saga', steps: [{ action: 'debit_payer_into_transit', compensation: 'refund_payer_from_transit' }] }) }, mustNotShow: ['credit_payee_from_transit'] },
  { name: '2PC with one coordinator process', task: '4.2', answers: { crossRegionTransfer: () => ({ protocol: 'two_phase_commit', coordinator: 'single_node', steps: [] }) }, mustNotShow: ['replicated_consensus'] },
  { name: 'a breaker that counts declines as failures', task: '4.3', answers: { classifyOutcome: (o) => (o === 'approved' ? 'success' : 'failure') }, mustNotShow: ['"success"', "'success'", 'not_counted'] },
  { name: 'one breaker per network only', task: '4.3', answers: { breakerPolicy: () => ({ ...policy, scope: ['network'] }) }, mustNotShow: [/without the acquirer/, /'acquirer'/] },
  { name: 'rerouting without reversing the timed-out authorisation', task: '4.3', answers: { breakerPolicy: () => ({ ...policy, afterTimeout: ['reroute_to_another_acquirer'] }) }, mustNotShow: ['reverse_timed_out_authorisation'] },
  { name: 'one failure opening the breaker', task: '4.3', answers: { breakerPolicy: () => ({ ...policy, minimumCalls: 10, failureRateThresholdPercent: 10 }) }, mustNotShow: [/at least 2/, /2 failed/] },
  {
    name: 'a half-open breaker that closes on its first good probe',
    task: '4.3',
    answers: {
      breakerStep: (state, input, p) => {
        const r = reference.breakerStep(state, input, p);
        return state.mode === 'half_open' && input.type === 'PROBE_SUCCEEDED' && state.probesSent > state.probesSucceeded + state.probesFailed
          ? { state: { mode: 'closed', callsInWindow: 0, failuresInWindow: 0, probesSent: 0, probesSucceeded: 0, probesFailed: 0 }, letThrough: false }
          : r;
      },
    },
    mustNotShow: [/model: half_open/, /should be/],
  },
  { name: 'a missing cancel from requires_capture', task: '4.4', answers: { paymentIntentTransitions: () => transitions.filter((t) => !(t.from === 'requires_capture' && t.event === 'CANCEL')) }, mustNotShow: ['requires_capture --CANCEL', 'requires_capture'] },
  { name: 'a late retry that is told it is a second charge', task: '4.4', answers: { confirmRetrySafety: () => ({ ...safety, retryAfterConfirmGets: 'a second charge' }) }, mustNotShow: ['replayed', safety.retryAfterConfirmGets] },
  { name: 'two charges per intent', task: '4.4', answers: { confirmRetrySafety: () => ({ ...safety, successfulChargesPerIntentAtMost: 2 }) }, mustNotShow: [/\b1\b/] },
  { name: 'an order that keeps nothing', task: '4.4', answers: { confirmRetrySafety: () => ({ ...safety, orderStores: 'nothing' }) }, mustNotShow: ['the_payment_intent_id'] },
];

describe('chapter 4’s wrong answers', () => {
  it.each(wrongAnswers.map((w) => [w.task, w.name, w] as const))('%s: %s fails, and what it shows does not give the answer away', async (task, _, wrong) => {
    const report = await runTask(chapter, chapter.tasks.find((t) => t.id === task)!, { ...reference, ...wrong.answers });
    expect(report.status, report.message).toBe('fail');
    const shown = [report.message, report.trace ?? '', JSON.stringify(report.figures ?? {})].join('\n');
    for (const pattern of wrong.mustNotShow) {
      if (typeof pattern === 'string') expect(shown, `${pattern} in what the check shows`).not.toContain(pattern);
      else expect(shown, `${pattern} in what the check shows`).not.toMatch(pattern);
    }
  }, 30_000);
});

describe('chapter 4’s right answers that differ from the key', () => {
  it.each([
    ['4.2', 'a saga whose last step names a compensation it never needs', { crossRegionTransfer: () => ({ protocol: 'saga', steps: [{ action: 'debit_payer_into_transit', compensation: 'refund_payer_from_transit' }, { action: 'credit_payee_from_transit', compensation: 'reverse_payee_credit' }] }) }],
    ['4.1', 'a Spanner-style design: quorum writes, leases with bounded clock uncertainty', { architecture: () => ({ ...arch, failover: { ...arch.failover, fencing: 'lease_bounded_drift' } }) }],
    ['4.1', 'synchronous replication to the failover region, epochs checked by the replicas', { architecture: () => ({ ...arch, replication: 'synchronous' }) }],
    ['4.3', 'breakers per network, acquirer and merchant', { breakerPolicy: () => ({ ...policy, scope: ['network', 'acquirer', 'merchant'] }) }],
  ] as [string, string, Partial<ChapterFourAnswers>][])('%s: %s passes', async (task, _, answers) => {
    const report = await runTask(chapter, chapter.tasks.find((t) => t.id === task)!, { ...reference, ...answers });
    expect(report.status, report.message).toBe('pass');
  }, 30_000);
});
