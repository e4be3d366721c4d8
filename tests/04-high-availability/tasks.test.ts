import { describe, expect, it } from 'vitest';
import { BREAKER_BOUNDS, breakerConfigFor, chapter } from '../../specs/04-high-availability/chapter.ts';
import { exploreBreaker } from '../../specs/04-high-availability/analysis.ts';
import { runTask } from '../../tools/grading/run-task.ts';
import { closedBreaker, type BreakerInput, type BreakerPolicy, type BreakerState, type ChapterFourAnswers } from '../../specs/04-high-availability/answer-types.ts';

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
    ['4.3', ['breakerPolicy', 'classifyOutcome', 'breakerStep'], 'breakerPolicy(), classifyOutcome() and breakerStep()'],
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
    const single = { ...arch, regions: arch.regions.map((r, i) => (i === 0 ? { ...r, failoverTo: r.name } : r)) };
    const report = await check('4.1', { ...reference, architecture: () => single });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/another region/) });
    // Manual failover: 15 minutes of promotion after each of 2 region failures a year.
    const twoRegions = { ...arch, failover: { ...arch.failover, promotionSeconds: 900 }, rtoSeconds: 900 };
    const low = await check('4.1', { ...reference, architecture: () => twoRegions });
    expect(low).toMatchObject({ status: 'fail', message: expect.stringMatching(/below 99.999 %/) });
  });

  it('4.1: quorum writes without an epoch check fail with the two-writer trace', async () => {
    const report = await check('4.1', { ...reference, architecture: () => ({ ...arch, failover: { ...arch.failover, fencing: 'none' } }) });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/HA-SINGLE-WRITER/);
    expect(report.trace).toMatch(/is back, believing what it believed before[\s\S]*can acknowledge: us-east \+ us-west/);
  });

  it('4.1: asynchronous replication fails: an acknowledged payment is lost on failover, or two regions write', async () => {
    const lease = await check('4.1', { ...reference, architecture: () => ({ ...arch, replication: 'asynchronous', failover: { ...arch.failover, fencing: 'lease_bounded_drift' } }) });
    expect(lease).toMatchObject({ status: 'fail', message: expect.stringMatching(/^HA-NO-LOSS violated with asynchronous replication/) });
    expect(lease.trace).toMatch(/acknowledges payment #1[\s\S]*promotes us-west/);
    const epoch = await check('4.1', { ...reference, architecture: () => ({ ...arch, replication: 'asynchronous', rpoSeconds: 5 }) });
    expect(epoch).toMatchObject({ status: 'fail', message: expect.stringMatching(/^HA-SINGLE-WRITER violated/) });
  });

  it.each([
    ['a consensus-replicated database (Spanner, CockroachDB: majority commits, epoch-checked leaders)', { replication: 'quorum', failover: { fencing: 'local_epoch', promotionSeconds: 10, regionFailuresPerYear: 2 }, rtoSeconds: 10 }],
    ['synchronous replication to the failover region with epochs checked by both replicas', { replication: 'synchronous' }],
    ['quorum writes with leases under bounded clock drift', { failover: { fencing: 'lease_bounded_drift', promotionSeconds: 30, regionFailuresPerYear: 2 } }],
  ] as const)('4.1: %s passes', async (_, patch) => {
    const report = await check('4.1', { ...reference, architecture: () => ({ ...arch, ...(patch as object) }) as typeof arch });
    expect(report.status, report.message + (report.trace ?? '')).toBe('pass');
  });

  it.each([
    ['a replica at five nines with no source', { componentAvailability: { ...arch.componentAvailability, databaseReplica: 0.99999 }, availabilitySources: {} }, /databaseReplica is 99\.9990 % with no source/],
    ['a control plane at six nines with no source', { componentAvailability: { ...arch.componentAvailability, controlPlane: 0.999999 } }, /controlPlane is 99\.9999 % with no source/],
    ['writes accepted on both sides of a partition', { duringPartition: 'accept_writes_on_both_sides' }, /both sides.*CAP/],
    ['an RTO shorter than the promotion', { rtoSeconds: 1 }, /rtoSeconds 1 is less than your promotion time/],
  ] as const)('4.1: %s fails', async (_, patch, message) => {
    expect(await check('4.1', { ...reference, architecture: () => ({ ...arch, ...(patch as object) }) as typeof arch })).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it('4.1: the invented inputs of a too-good design (components at five nines, one replica, a 1 ms promotion) fail', async () => {
    const invented = {
      ...arch,
      regions: arch.regions.map((r) => ({ ...r, databaseReplicas: 1 })),
      componentAvailability: { databaseReplica: 0.99999, regionServices: 0.99999, globalRouting: 0.99999, controlPlane: 0.99999 },
      availabilitySources: {},
      failover: { ...arch.failover, promotionSeconds: 0.001 },
      rtoSeconds: 0.001,
    };
    expect((await check('4.1', { ...reference, architecture: () => invented })).status).toBe('fail');
  });

  it('4.1: a millisecond promotion fails even with every availability cited', async () => {
    const instant = { ...arch, failover: { ...arch.failover, promotionSeconds: 0.001 }, rtoSeconds: 0.001 };
    expect(await check('4.1', { ...reference, architecture: () => instant })).toMatchObject({ status: 'fail', message: expect.stringMatching(/promotionSeconds is 0\.001: a failure is noticed only after heartbeats are missed/) });
  });

  it('4.1: the same figures pass once each is given a source', async () => {
    const cited = { ...arch, componentAvailability: { ...arch.componentAvailability, databaseReplica: 0.9995 }, availabilitySources: { ...arch.availabilitySources, databaseReplica: 'measured: our fleet, 2025, 3 outages of 1.5 h' } };
    expect((await check('4.1', { ...reference, architecture: () => cited })).status).toBe('pass');
  });

  it('4.1: multi-writer accounts fail; a wrong blast radius fails', async () => {
    expect((await check('4.1', { ...reference, architecture: () => ({ ...arch, writes: 'any_region' }) })).status).toBe('fail');
    const report = await check('4.1', { ...reference, architecture: () => ({ ...arch, oneRegionFailureAffectsPercent: 40 }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/you say one region's failure affects 40 % of transactions, which is not what your regions' shares give/) });
    expect(report.message).not.toMatch(/22/);
  });

  const withArchitecture = (patch: Partial<typeof arch>) => ({ ...reference, architecture: () => ({ ...arch, ...patch }) });

  it('4.1: three regions at 50/30/20 fail, since one failure would stop more than today’s 40 %', async () => {
    const report = await check(
      '4.1',
      withArchitecture({
        regions: [
          { name: 'us-east', shareOfTransactionsPercent: 50, databaseReplicas: 3, failoverTo: 'us-west' },
          { name: 'us-west', shareOfTransactionsPercent: 30, databaseReplicas: 3, failoverTo: 'us-east' },
          { name: 'eu-west', shareOfTransactionsPercent: 20, databaseReplicas: 3, failoverTo: 'us-east' },
        ],
        oneRegionFailureAffectsPercent: 50,
      }),
    );
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/stops 50 % of transactions.*no better than today's 40 %/) });
  });

  it('4.1: two regions are the wrong shape: the lease store needs a majority that survives one region', async () => {
    const report = await check('4.1', withArchitecture({ regions: arch.regions.slice(0, 2).map((r, i, all) => ({ ...r, shareOfTransactionsPercent: 50, failoverTo: all[1 - i]!.name })) }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/at least 3 regions/) });
  });

  it('4.1: a region that homes no transactions is active-passive, and fails', async () => {
    const report = await check(
      '4.1',
      withArchitecture({
        regions: [
          { name: 'us-east', shareOfTransactionsPercent: 50, databaseReplicas: 3, failoverTo: 'us-west' },
          { name: 'us-west', shareOfTransactionsPercent: 0, databaseReplicas: 3, failoverTo: 'us-east' },
          { name: 'eu-west', shareOfTransactionsPercent: 50, databaseReplicas: 3, failoverTo: 'us-east' },
        ],
        oneRegionFailureAffectsPercent: 50,
      }),
    );
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/us-west homes 0 % .*active-passive/) });
  });

  it('4.1: perfect components and regions that never fail are refused, with the reason', async () => {
    const perfect = await check(
      '4.1',
      withArchitecture({
        regions: arch.regions.map((r) => ({ ...r, databaseReplicas: 1 })),
        componentAvailability: { databaseReplica: 1, regionServices: 1, globalRouting: 1, controlPlane: 1 },
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
    const report = await check('4.1', withArchitecture({ failover: { ...arch.failover, promotionSeconds: 900 }, rtoSeconds: 900 }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/below 99\.999 %.*the largest part, 30\.00 min a year, is failover switch-over$/) });
    expect(report.traceTitle).toBe('where the downtime goes, in minutes a year');
    expect(report.trace).toMatch(/global routing/);
    expect(report.trace).toMatch(/home and failover write paths down together/);
    expect(report.trace).toMatch(/in all \(the budget of 99\.999 %: 5\.26 min\)/);
  });

  it('4.1: multi-writer accounts fail with a short reason, not a model run', async () => {
    const report = await check('4.1', withArchitecture({ writes: 'any_region' }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^writes is "any_region": every region accepts writes for every account, so each account has 5 writers all the time.*\(HA-SINGLE-WRITER is broken from the first state on\)$/) });
    expect(report.message).not.toMatch(/states explored/);
    expect(report.trace).toBeUndefined();
  });

  it('4.2: two-phase commit with one coordinator fails with the blocking counterexample', async () => {
    const report = await check('4.2', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', coordinator: 'single_node', steps: [] }) });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/2PC blocks/);
    expect(report.trace).toMatch(/coordinator crashes[\s\S]*coordinator DOWN[\s\S]*locks held: US/);
  });

  it('4.2: two-phase commit over a coordinator replicated by consensus (Paxos Commit, Spanner) passes, naming its latency cost', async () => {
    const report = await check('4.2', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', coordinator: 'replicated_consensus', steps: [] }) });
    expect(report).toMatchObject({ status: 'pass', message: expect.stringMatching(/no participant waits on a crashed coordinator.*latency/) });
  });

  it('4.2: two-phase commit that does not say what its coordinator is, is the wrong shape', async () => {
    const report = await check('4.2', { ...reference, crossRegionTransfer: () => ({ protocol: 'two_phase_commit', steps: [] }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/coordinator is undefined; expected one of "single_node", "replicated_consensus"/) });
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

  const withPolicy = (patch: Partial<ReturnType<ChapterFourAnswers['breakerPolicy']>>, rest: Partial<ChapterFourAnswers> = {}): ChapterFourAnswers => ({
    ...reference,
    ...rest,
    breakerPolicy: () => ({ ...reference.breakerPolicy(), ...patch }),
  });

  it.each([
    ['Resilience4j’s defaults (a count window of 100 calls, 100 at least, 50 %, 60 s open, 10 probes)', { windowKind: 'calls', windowSize: 100, minimumCalls: 100, failureRateThresholdPercent: 50, waitInOpenSeconds: 60, halfOpenProbes: 10 }],
    ['Hystrix’s defaults (10 s rolling, 20 requests, 50 %, 5 s sleep, one test request)', { windowKind: 'seconds', windowSize: 10, minimumCalls: 20, failureRateThresholdPercent: 50, waitInOpenSeconds: 5, halfOpenProbes: 1, halfOpenDecision: 'first_failed_probe_reopens' }],
    ['a 2-minute window judged from 100 calls, 10 probes reopening at the first failure', { windowSize: 120, minimumCalls: 100, halfOpenProbes: 10, halfOpenDecision: 'first_failed_probe_reopens' }],
    ['breakers per network, acquirer and issuer BIN', { scope: ['network', 'acquirer', 'issuer_bin'] }],
    ['a timeout reversed and the payment declined, never rerouted', { afterTimeout: ['reverse_timed_out_authorisation', 'decline_payment'] }],
  ] as const)('4.3: %s passes', async (_, patch) => {
    const report = await check('4.3', withPolicy(patch as never));
    expect(report.status, report.message + (report.trace ?? '')).toBe('pass');
  });

  it('4.3: declines left out of the window (neither success nor failure) pass', async () => {
    const ignoresDeclines: ChapterFourAnswers['classifyOutcome'] = (o) => (o.startsWith('declined') ? 'not_counted' : reference.classifyOutcome(o));
    expect((await check('4.3', { ...reference, classifyOutcome: ignoresDeclines })).status).toBe('pass');
  });

  it('4.3: the largest window the text allows stays a few thousand states (counts, not per-call history)', () => {
    const policy = { ...reference.breakerPolicy(), windowKind: 'calls', windowSize: BREAKER_BOUNDS.countWindowCalls.max, minimumCalls: BREAKER_BOUNDS.minimumCalls.max, halfOpenProbes: BREAKER_BOUNDS.halfOpenProbes.max } as const;
    const time = { ...policy, windowKind: 'seconds', windowSize: BREAKER_BOUNDS.timeWindowSeconds.max } as const;
    for (const p of [policy, time]) expect(exploreBreaker(breakerConfigFor(p)).figures.states).toBeLessThan(6_500);
  });

  it('4.3: a breaker that counts issuer declines as failures fails, without saying how to count them', async () => {
    const countsDeclines: ChapterFourAnswers['classifyOutcome'] = (o) => (o === 'approved' ? 'success' : 'failure');
    const report = await check('4.3', { ...reference, classifyOutcome: countsDeclines });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/counts "declined_do_not_honour" as a failure/) });
    expect(report.message).not.toMatch(/not_counted|should|instead/);
  });

  it.each([
    ['a timeout not counted', (o: string) => (o === 'timeout' ? 'not_counted' : o === 'approved' ? 'success' : o.startsWith('declined') ? 'success' : 'failure'), /counts "timeout" as nothing/],
    ['a connection error counted as a success', (o: string) => (o === 'connection_error' ? 'success' : reference.classifyOutcome(o as never)), /counts "connection_error" as a success/],
    ['approvals not counted', (o: string) => (o === 'approved' ? 'not_counted' : reference.classifyOutcome(o as never)), /does not count approvals/],
  ] as const)('4.3: %s fails', async (_, classify, message) => {
    expect(await check('4.3', { ...reference, classifyOutcome: classify as never })).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it.each([
    ['per network only', ['network'], /scoped by network: .*several paths/],
    ['per acquirer only', ['acquirer'], /scoped by acquirer: a Visa outage/],
  ] as const)('4.3: breakers scoped %s fail', async (_, scope, message) => {
    expect(await check('4.3', withPolicy({ scope: [...scope] }))).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it('4.3: rerouting a timed-out authorisation without reversing it fails, with the run that holds the card twice', async () => {
    const report = await check('4.3', withPolicy({ afterTimeout: ['reroute_to_another_acquirer'] }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/CB-ONE-HOLD/) });
    expect(report.trace).toMatch(/issuer had approved[\s\S]*acquirer B approves[\s\S]*holds on the card: 2/);
  });

  it.each([
    ['reversing only after the reroute', ['reroute_to_another_acquirer', 'reverse_timed_out_authorisation'], /CB-ONE-HOLD/],
    ['declining without reversing', ['decline_payment'], /CB-NO-STRANDED-HOLD/],
    ['doing nothing', [], /CB-NO-STRANDED-HOLD/],
  ] as const)('4.3: after a timeout, %s fails', async (_, plan, message) => {
    expect(await check('4.3', withPolicy({ afterTimeout: [...plan] }))).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  it.each([
    ['a count window of 5 calls', { windowKind: 'calls', windowSize: 5, minimumCalls: 10 }, /windowSize is 5; expected an integer from 10 to 100/],
    ['a minimum volume the count window cannot hold', { windowKind: 'calls', windowSize: 50, minimumCalls: 60 }, /never judged/],
    ['a rate that one timeout reaches', { minimumCalls: 10, failureRateThresholdPercent: 10 }, /1 failed call\(s\) can open the breaker/],
    ['a wait in open state of a millisecond', { waitInOpenSeconds: 0.001 }, /waitInOpenSeconds is 0\.001/],
  ] as const)('4.3: %s is refused, with the reason', async (_, patch, message) => {
    expect(await check('4.3', withPolicy(patch as never))).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
  });

  const stepping = (wrong: ChapterFourAnswers['breakerStep']) => ({ ...reference, breakerStep: wrong });

  it('4.3: a half-open breaker that lets every call through fails, naming what differs but not the model’s value', async () => {
    const report = await check('4.3', stepping((state, input, p) =>
      state.mode === 'half_open' && input.type === 'CALL_REQUESTED' ? { state: { ...state, probesSent: state.probesSent + 1 }, letThrough: true } : reference.breakerStep(state, input, p)));
    expect(report.status).toBe('fail');
    expect(report.trace).toMatch(/differs from the model in: probesSent, letThrough$/);
  });

  it.each([
    ['opens above the threshold only (> instead of at or above)', (s: BreakerState, i: BreakerInput, p: BreakerPolicy) => {
      const next = reference.breakerStep(s, i, p);
      const calls = s.callsInWindow + 1;
      const failures = s.failuresInWindow + (i.type === 'CALL_FAILED' ? 1 : 0);
      return s.mode === 'closed' && next.state.mode === 'open' && failures * 100 === p.failureRateThresholdPercent * calls ? { state: { ...s, callsInWindow: calls, failuresInWindow: failures }, letThrough: false } : next;
    }],
    ['judges the rate before the minimum volume', (s: BreakerState, i: BreakerInput, p: BreakerPolicy) => reference.breakerStep(s, i, { ...p, minimumCalls: 1 })],
    ['forgets an outcome leaving the window', (s: BreakerState, i: BreakerInput, p: BreakerPolicy) => (i.type === 'OLDEST_FAILURE_LEAVES_WINDOW' ? { state: s, letThrough: false } : reference.breakerStep(s, i, p))],
    ['counts a late answer in half-open as a probe', (s: BreakerState, i: BreakerInput, p: BreakerPolicy) =>
      s.mode === 'half_open' && i.type === 'CALL_FAILED' ? reference.breakerStep(s, { type: 'PROBE_FAILED' }, p) : reference.breakerStep(s, i, p)],
    ['closes at the first successful probe', (s: BreakerState, i: BreakerInput, p: BreakerPolicy) =>
      s.mode === 'half_open' && i.type === 'PROBE_SUCCEEDED' ? { state: { ...closedBreaker }, letThrough: false } : reference.breakerStep(s, i, p)],
  ] as const)('4.3: a breakerStep that %s fails', async (_, wrong) => {
    const report = await check('4.3', stepping(wrong as never));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/disagrees with the model/) });
  });

  it('4.3: a breakerStep that changes the state it was given fails, saying it must be pure', async () => {
    const report = await check('4.3', stepping((state, input, p) => {
      const next = reference.breakerStep(state, input, p);
      if (input.type === 'CALL_FAILED') state.failuresInWindow++;
      return next;
    }));
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/changed the state, input or policy it was given \(CALL_FAILED in closed\): it must be a pure function/) });
  });

  it('4.3: a classifyOutcome that throws is ERR; a policy with an extra explanatory field is judged on the rest', async () => {
    const throwing = await check('4.3', { ...reference, classifyOutcome: () => { throw new TypeError('unknown outcome'); } });
    expect(throwing).toMatchObject({ status: 'error', message: expect.stringMatching(/your answer threw TypeError: unknown outcome/) });
    const explained = await check('4.3', withPolicy({ why: 'Hystrix defaults' } as never));
    expect(explained.status).toBe('pass');
  });

  it('4.3: a breakerStep that throws in one mode is ERR, wherever the check meets it first', async () => {
    for (const mode of ['closed', 'open', 'half_open'] as const) {
      const report = await check('4.3', stepping((state, input, p) => {
        if (state.mode === mode && input.type === 'CALL_REQUESTED') throw new RangeError('boom');
        return reference.breakerStep(state, input, p);
      }));
      expect(report).toMatchObject({ status: 'error', message: expect.stringMatching(/your answer threw RangeError: boom/) });
    }
  });

  it('4.4: canceling a processing intent and replacing the payment method before confirming, both documented, are accepted', async () => {
    const transitions = reference.paymentIntentTransitions();
    expect(transitions).toContainEqual({ from: 'processing', event: 'CANCEL', to: 'canceled' });
    transitions.push({ from: 'requires_confirmation', event: 'ATTACH_PAYMENT_METHOD', to: 'requires_confirmation' });
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report).toMatchObject({ status: 'pass', message: expect.stringMatching(/accepted though the status does not change: requires_confirmation --ATTACH_PAYMENT_METHOD--> requires_confirmation/) });
  });

  it('4.4: Stripe’s confirm that supplies the payment method, from requires_payment_method, is a status change the model makes', async () => {
    const withoutIt = reference.paymentIntentTransitions().filter((t) => !(t.from === 'requires_payment_method' && t.event === 'CONFIRM_RECEIVED'));
    expect(withoutIt.length).toBe(reference.paymentIntentTransitions().length - 2);
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => withoutIt });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/^2 status change\(s\) the model makes are not in your list/) });
  });

  it('4.4: a missing arrow is counted, never listed, so that the message cannot be pasted back', async () => {
    const all = reference.paymentIntentTransitions();
    for (const dropped of all) {
      const report = await check('4.4', { ...reference, paymentIntentTransitions: () => all.filter((t) => t !== dropped) });
      expect(report.status).toBe('fail');
      for (const text of [report.message, report.trace ?? '']) {
        expect(text).not.toContain(`${dropped.from} --${dropped.event}--> ${dropped.to}`);
        expect(text).not.toContain(dropped.event);
      }
    }
  });

  it('4.4: a transition the model does not make is explained in words that do not name the right one', async () => {
    const transitions = [...reference.paymentIntentTransitions(), { from: 'succeeded', event: 'CANCEL', to: 'canceled' } as const, { from: 'processing', event: 'CAPTURE', to: 'succeeded' } as const, { from: 'processing', event: 'CARD_DECLINED', to: 'canceled' } as const];
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report.status).toBe('fail');
    expect(report.message).toMatch(/succeeded --CANCEL--> canceled \(a PaymentIntent in succeeded is terminal/);
    expect(report.message).toMatch(/processing --CAPTURE--> succeeded \(CAPTURE does not change the status of an intent in processing\)/);
    expect(report.message).toMatch(/processing --CARD_DECLINED--> canceled \(from processing, CARD_DECLINED never leads to canceled\)/);
    expect(report.message).not.toMatch(/requires_payment_method/);
  });

  it('4.4: a wrong answer about the late retry fails without naming the right option', async () => {
    const safety = { ...reference.confirmRetrySafety(), retryAfterConfirmGets: 'an unexpected-state error' as const };
    const report = await check('4.4', { ...reference, confirmRetrySafety: () => safety });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/no retry that arrives after the confirm executed gets “an unexpected-state error” in the model/) });
    expect(report.message).not.toMatch(/replayed/);
  });

  it('4.4: a wrong count of charges fails without the model’s count', async () => {
    const report = await check('4.4', { ...reference, confirmRetrySafety: () => ({ ...reference.confirmRetrySafety(), successfulChargesPerIntentAtMost: 2 }) });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/disagree with your 2/) });
    expect(report.message).not.toMatch(/\b1\b/);
  });

  it('4.4: a status that is not Stripe’s is the wrong shape, with the statuses expected', async () => {
    const transitions = [...reference.paymentIntentTransitions(), { from: 'pending', event: 'CANCEL', to: 'canceled' } as never];
    const report = await check('4.4', { ...reference, paymentIntentTransitions: () => transitions });
    expect(report).toMatchObject({ status: 'fail', message: expect.stringMatching(/from is "pending"; expected one of "requires_payment_method"/) });
  });

  const safetyWith = (patch: Partial<ReturnType<ChapterFourAnswers['confirmRetrySafety']>>) => ({ ...reference, confirmRetrySafety: () => ({ ...reference.confirmRetrySafety(), ...patch }) });

  it('4.4: a new PaymentIntent per retry, or a new key per retry, fails', async () => {
    expect(await check('4.4', safetyWith({ confirmRetries: 'new_payment_intent' }))).toMatchObject({ status: 'fail', message: expect.stringMatching(/two intents/) });
    expect(await check('4.4', safetyWith({ confirmRetries: 'new_idempotency_key', retryAfterConfirmGets: 'an unexpected-state error' }))).toMatchObject({ status: 'fail', message: expect.stringMatching(/confirms the new card/) });
  });

  it('4.4: a retry days later on a new intent, or an order that keeps no intent id, fails', async () => {
    expect(await check('4.4', safetyWith({ retryAfterKeysExpired: 'a_new_payment_intent' }))).toMatchObject({ status: 'fail', message: expect.stringMatching(/charged 2 times/) });
    expect(await check('4.4', safetyWith({ orderStores: 'nothing' }))).toMatchObject({ status: 'fail', message: expect.stringMatching(/keeps nothing to find it by/) });
  });
});
