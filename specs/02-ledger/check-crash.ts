/** Task 2.4: what survives a crash between the two INSERTs, per mode and crash point. */
import { explore } from '../../tools/explore/explore.ts';
import { describedAs, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { fail, pass, type CheckResult } from '../../tools/grading/task.ts';
import { candidateEvents, createLedgerWriteModel, scenarioConfig, type Posting, type WriteMode } from '../../models/ledger-write/machine.ts';
import { crashPoints, crashThePayment, everySurvivors, formatWriteTrace, writeModes, type Survivors } from './crash-points.ts';
import { ledgerInvariants, ledgerStepProperties } from './invariants.ts';
import type { LedgerAnswers } from './answer-files.ts';

export async function checkCrashPrediction(answers: LedgerAnswers): Promise<CheckResult> {
  const figures = exploreEveryConfig();
  for (const mode of writeModes) {
    for (const point of crashPoints) {
      const predicted = survivorsShape(`whatSurvivesACrash('${mode}', '${point}')`, answers.whatSurvivesACrash(mode, point));
      const model = crashThePayment(mode, point);
      if (predicted !== model.survivors) {
        // The trace stops before the crash: what recovery keeps is the prediction asked for.
        const beforeTheCrash = { ...model.trace, steps: model.trace.steps.slice(0, -1) };
        return fail(`2.4: ${mode}, crash ${point}: your prediction is not what the ledger holds after recovery`, {
          traceTitle: 'the write up to the crash',
          trace: `${formatWriteTrace(beforeTheCrash)}\nthen the process crashes: what does recovery keep, and why?`,
          reveal: formatWriteTrace(model.trace),
          figures,
        });
      }
    }
  }
  return pass(`right at all ${writeModes.length * crashPoints.length} crash points; the model explored ${figures.states} states`, { figures });
}

export const isSurvivors = isOneOf(...everySurvivors);
export const isPromise = describedAs((value) => typeof (value as { then?: unknown } | null)?.then === 'function', 'a Promise');

/** The answer is one of the `Survivors` strings, or a `WrongShape` that lists them. */
export function survivorsShape(call: string, value: unknown): Survivors {
  if (isPromise(value)) throw new WrongShape(`2.4: ${call} returned a Promise: answers are plain values, drop the \`async\``);
  if (!isSurvivors(value)) throw new WrongShape(`2.4: ${call} returned ${JSON.stringify(value) ?? String(value)}; expected ${isSurvivors.expected}`);
  return value as Survivors;
}

/** One configuration of the ledger write, explored with every invariant. */
export interface ConfigRun {
  mode: WriteMode;
  posting: Posting;
  states: number;
  /** Every state that is not a crash is a point where one can strike. */
  crashPoints: number;
  /** Violated property id → the events of its shortest trace. */
  violated: Map<string, string>;
}

/** The ledger write in one configuration, every invariant and step property checked. */
export function exploreWrite(mode: WriteMode, posting: Posting) {
  const config = scenarioConfig(mode, posting);
  const events = candidateEvents(config);
  return explore(createLedgerWriteModel(config), {
    events: () => events,
    invariants: ledgerInvariants,
    stepProperties: ledgerStepProperties,
    stopAtFirstViolation: false,
  });
}

/** Explore the model in every configuration (the answer key prints these runs). */
export function exploreConfigs(): ConfigRun[] {
  const runs: ConfigRun[] = [];
  for (const mode of writeModes) {
    for (const posting of ['single-phase', 'hold'] as const) {
      const result = exploreWrite(mode, posting);
      const crashed = result.snapshots.filter((s) => s.value === 'crashed').length;
      const violated = new Map(result.violations.map((v) => [v.property.id, v.trace.steps.map((s) => s.event.type).join(' → ')]));
      runs.push({ mode, posting, states: result.figures.states, crashPoints: result.figures.states - crashed, violated });
    }
  }
  return runs;
}

/** The figures that back 2.4's verdict: all configurations together. */
export function exploreEveryConfig(): { states: number; crashPoints: number; configs: number } {
  const runs = exploreConfigs();
  return {
    states: runs.reduce((n, r) => n + r.states, 0),
    crashPoints: runs.reduce((n, r) => n + r.crashPoints, 0),
    configs: runs.length,
  };
}
