/**
 * State diagrams as SVG, laid out by Graphviz compiled to WebAssembly (@viz-js/viz): no
 * browser and no system binary. Input is a small graph (nodes and labelled edges), usually a
 * projection of an exploration onto one part of the state (a key's status, a breaker's mode).
 */
import { instance, type Viz } from '@viz-js/viz';
import type { Edge } from '../explore/explore.ts';

export interface DiagramNode {
  id: string;
  label?: string;
  /** Drawn with a double border: a state the process ends in. */
  final?: boolean;
  initial?: boolean;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
}

export interface Diagram {
  title?: string;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

let viz: Promise<Viz> | undefined;

const quote = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** The diagram in Graphviz's DOT language (deterministic: nodes and edges sorted). */
export function toDot(diagram: Diagram): string {
  const lines = [
    'digraph G {',
    '  rankdir=LR; bgcolor="transparent";',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#3b4a6b", fontname="Helvetica", fontsize=11];',
    '  edge [color="#3b4a6b", fontname="Helvetica", fontsize=9];',
  ];
  if (diagram.title) lines.push(`  labelloc=t; label=${quote(diagram.title)}; fontname="Helvetica";`);
  for (const node of [...diagram.nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const attributes = [`label=${quote(node.label ?? node.id)}`];
    if (node.final) attributes.push('peripheries=2');
    if (node.initial) {
      lines.push(`  ${quote(`__start_${node.id}`)} [shape=point, width=0.12, label=""];`);
      lines.push(`  ${quote(`__start_${node.id}`)} -> ${quote(node.id)};`);
    }
    lines.push(`  ${quote(node.id)} [${attributes.join(', ')}];`);
  }
  const sorted = [...diagram.edges].sort((a, b) => `${a.from} ${a.to} ${a.label}`.localeCompare(`${b.from} ${b.to} ${b.label}`));
  for (const edge of sorted) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(edge.label)}];`);
  lines.push('}');
  return lines.join('\n');
}

/** Render to SVG text (the XML prolog stripped, so it can be inlined in HTML). */
export async function renderSvg(diagram: Diagram): Promise<string> {
  viz ??= instance();
  const svg = (await viz).renderString(toDot(diagram), { format: 'svg' });
  return svg.slice(svg.indexOf('<svg')).trim() + '\n';
}

/**
 * Project an exploration onto a part of the state: nodes are the distinct values of
 * `project(snapshot)`, and an edge joins two values when some transition of the model moves
 * from one to the other (self-loops left out). Every arrow is thus backed by a real
 * transition found by the explorer.
 */
export function projectExploration<TSnapshot>(
  snapshots: readonly TSnapshot[],
  edges: readonly Edge[],
  project: (snapshot: TSnapshot) => string | null,
  label: (eventType: string) => string = (type) => type,
): Diagram {
  const values = new Set<string>();
  const arrows = new Map<string, DiagramEdge & { labels: Set<string> }>();
  for (const snapshot of snapshots) {
    const value = project(snapshot);
    if (value !== null) values.add(value);
  }
  for (const edge of edges) {
    const from = project(snapshots[edge.from]!);
    const to = project(snapshots[edge.to]!);
    if (from === null || to === null || from === to) continue;
    const id = `${from}\u0000${to}`;
    const arrow = arrows.get(id) ?? { from, to, label: '', labels: new Set<string>() };
    arrow.labels.add(label(edge.eventType));
    arrows.set(id, arrow);
  }
  return {
    nodes: [...values].map((id) => ({ id })),
    edges: [...arrows.values()].map(({ from, to, labels }) => ({ from, to, label: [...labels].sort().join('\n') })),
  };
}
