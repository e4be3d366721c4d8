/**
 * Sequence diagrams of a trace, as Mermaid text: GitHub renders a ```mermaid block, and the
 * site renders it in the page with the mermaid library (its layout needs a browser).
 */

export type SequenceItem =
  | { kind: 'message'; from: string; to: string; text: string; style?: 'sync' | 'reply' | 'async' | 'lost' }
  | { kind: 'note'; over: string[]; text: string };

const arrows = { sync: '->>', reply: '-->>', async: '-)', lost: '-x' } as const;

const clean = (text: string) => text.replaceAll(';', ',').replaceAll('#', 'No.').replaceAll('\n', ' ');

export function mermaidSequence(participants: readonly string[], items: readonly SequenceItem[]): string {
  const lines = ['sequenceDiagram', ...participants.map((p) => `  participant ${p}`)];
  for (const item of items) {
    if (item.kind === 'message') lines.push(`  ${item.from}${arrows[item.style ?? 'sync']}${item.to}: ${clean(item.text)}`);
    else lines.push(`  Note over ${item.over.join(',')}: ${clean(item.text)}`);
  }
  return lines.join('\n');
}

/** A fenced block, ready to drop into Markdown. */
export const mermaidBlock = (text: string) => '```mermaid\n' + text + '\n```';

/**
 * A trace as a Mermaid sequence diagram in a fenced block: each step turned into messages
 * by the model's own `step` function (from its describe.ts).
 */
export function sequenceOfTrace<TSnapshot, TEvent>(
  trace: { initial: TSnapshot; steps: { event: TEvent; snapshot: TSnapshot }[] },
  participants: readonly string[],
  step: (event: TEvent, before: TSnapshot, after: TSnapshot) => SequenceItem[],
): string {
  const items: SequenceItem[] = [];
  let before = trace.initial;
  for (const { event, snapshot } of trace.steps) {
    items.push(...step(event, before, snapshot));
    before = snapshot;
  }
  return mermaidBlock(mermaidSequence(participants, items));
}
