/** Traces as numbered plain text: what a student reads when a check fails. */
import type { Trace } from '../explore/explore.ts';

export interface TraceFormat<TSnapshot, TEvent> {
  /** One line for a step: what happened, in the domain's words. */
  step: (event: TEvent, before: TSnapshot, after: TSnapshot) => string;
  /** Optional: a short state summary printed after each step. */
  state?: (snapshot: TSnapshot) => string;
}

export function formatTrace<TSnapshot, TEvent>(trace: Trace<TSnapshot, TEvent>, format: TraceFormat<TSnapshot, TEvent>): string {
  const lines: string[] = [];
  let before = trace.initial;
  let shown = format.state?.(before);
  if (shown !== undefined) lines.push(`     start: ${shown}`);
  trace.steps.forEach(({ event, snapshot }, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${format.step(event, before, snapshot)}`);
    // The state line only when it changed: a trace reads as what happened, not as a table.
    const state = format.state?.(snapshot);
    if (state !== undefined && state !== shown) lines.push(`        → ${state}`);
    shown = state;
    before = snapshot;
  });
  return lines.join('\n');
}
