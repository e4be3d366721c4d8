// The instructor's hidden checks of chapter 4: the reference and right-but-different answers
// pass them under the larger bounds, and the wrong answers the visible checks catch still fail.
import { describe, expect, it } from 'vitest';
import { chapter as hidden } from '../../specs/04-high-availability/hidden.ts';
import { chapter as visible } from '../../specs/04-high-availability/chapter.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import type { ChapterFourAnswers } from '../../specs/04-high-availability/answer-types.ts';

const reference = await hidden.loadAnswers('solutions/04-high-availability');
const run = (id: string, answers: ChapterFourAnswers) => runTask(hidden, hidden.tasks.find((t) => t.id === id)!, answers);
const arch = reference.architecture();

describe('chapter 4’s hidden checks', () => {
  it('are extra tasks of the visible chapter, with ids of their own', () => {
    expect(hidden.tasks.map((t) => t.id)).toEqual(['4.1h', '4.2h', '4.3h', '4.4h']);
    expect(hidden.loadAnswers).toBe(visible.loadAnswers);
  });

  it.each(['4.1h', '4.2h', '4.3h', '4.4h'])('the reference answers pass %s', async (id) => {
    await hidden.prepare?.();
    const report = await run(id, reference);
    expect(report.status, report.message).toBe('pass');
  }, 120_000);

  it('4.1h explores more than the visible check: an account homed in every region, two failures', async () => {
    const seen = await runTask(visible, visible.tasks[0]!, reference);
    const deeper = await run('4.1h', reference);
    expect(Number(deeper.figures?.failoverStates)).toBeGreaterThan(arch.regions.length * Number(seen.figures?.failoverStates));
  }, 60_000);

  it.each([
    ['synchronous replication with leases under bounded drift', { replication: 'synchronous', failover: { ...arch.failover, fencing: 'lease_bounded_drift' } }],
    ['quorum writes with leases under bounded drift', { failover: { ...arch.failover, fencing: 'lease_bounded_drift' } }],
  ] as const)('4.1h: %s, a design that differs from the key, passes', async (_, patch) => {
    const report = await run('4.1h', { ...reference, architecture: () => ({ ...arch, ...patch }) as never });
    expect(report.status, report.message).toBe('pass');
  }, 60_000);

  it.each([
    ['asynchronous replication', { replication: 'asynchronous' }, /HA-NO-LOSS|HA-SINGLE-WRITER/],
    ['quorum writes with no fencing', { failover: { ...arch.failover, fencing: 'none' } }, /HA-SINGLE-WRITER/],
  ] as const)('4.1h: %s fails', async (_, patch, message) => {
    const report = await run('4.1h', { ...reference, architecture: () => ({ ...arch, ...patch }) as never });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  }, 60_000);

  it('4.2h: two-phase commit over a coordinator replicated by consensus passes; over one process it blocks', async () => {
    const replicated = await run('4.2h', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', coordinator: 'replicated_consensus', steps: [] }) });
    expect(replicated.status, replicated.message).toBe('pass');
    const single = await run('4.2h', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', coordinator: 'single_node', steps: [] }) });
    expect(single).toMatchObject({ status: 'fail', message: expect.stringMatching(/2PC blocks/) });
  }, 60_000);

  it('4.3h: Hystrix’s defaults pass; counting declines as failures fails', async () => {
    const hystrix = { windowKind: 'seconds', windowSize: 10, minimumCalls: 20, failureRateThresholdPercent: 50, waitInOpenSeconds: 5, halfOpenProbes: 1, halfOpenDecision: 'first_failed_probe_reopens' } as const;
    const passes = await run('4.3h', { ...reference, breakerPolicy: () => ({ ...reference.breakerPolicy(), ...hystrix }) });
    expect(passes.status, passes.message).toBe('pass');
    expect(passes.figures).toMatchObject({ walks: 500, seed: 4711 });
    const fails = await run('4.3h', { ...reference, classifyOutcome: (o) => (o === 'approved' ? 'success' : 'failure') });
    expect(fails.status).toBe('fail');
  }, 60_000);

  it('4.4h: a new key on each retry still fails when automatic capture is explored too', async () => {
    const report = await run('4.4h', { ...reference, confirmRetrySafety: () => ({ ...reference.confirmRetrySafety(), confirmRetries: 'new_idempotency_key' }) });
    expect(report.status).toBe('fail');
  }, 120_000);
});
