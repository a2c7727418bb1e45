/**
 * A small directed graph of labelled boxes in nested clusters, and its Graphviz DOT text. The walker
 * (`walk.ts`) fills it from a model; Graphviz does the layout.
 */
import type { NodeKind } from './labels';

export interface GraphNode {
  id: string;
  lines: string[];
  kind: NodeKind;
  /** Cluster the node sits in ('' = top level). */
  cluster: string;
}

export interface GraphCluster {
  id: string;
  label: string;
  parent: string;
  /** Dashed for plain grouping (nested sequential blocks), solid for the chapter's named blocks. */
  dashed: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Shortcut edges (the residual's identity / 1×1 path, dense concatenations) are drawn dashed. */
  shortcut?: boolean;
}

const FILL: Record<NodeKind, string> = {
  input: '#ffffff', conv: '#dbe9f6', pool: '#fde9c9', dense: '#dcefd9', norm: '#ececec', activation: '#f6dede',
  dropout: '#f3e6f7', reshape: '#f5f5f5', join: '#ffffff', block: '#e7e3f4', other: '#f5f5f5',
};

/** The graph under construction. Node and cluster ids are sequential, so the same model gives the same DOT. */
export class ArchitectureGraph {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  readonly clusters: GraphCluster[] = [];

  addNode(lines: string[], kind: NodeKind, cluster: string): string {
    const id = `n${this.nodes.length}`;
    this.nodes.push({ id, lines: [...lines], kind, cluster });
    return id;
  }

  addEdge(from: string, to: string, shortcut = false): void {
    this.edges.push(shortcut ? { from, to, shortcut } : { from, to });
  }

  addCluster(label: string, parent: string, dashed: boolean): string {
    const id = `cluster_${this.clusters.length}`;
    this.clusters.push({ id, label, parent, dashed });
    return id;
  }

  node(id: string): GraphNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Node ids with an edge into `id`. */
  predecessors(id: string): string[] {
    return this.edges.filter((e) => e.to === id).map((e) => e.from);
  }

  /** Number of edges out of `id`. */
  outDegree(id: string): number {
    return this.edges.filter((e) => e.from === id).length;
  }
}

/** Quotes a string for DOT. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function nodeStatement(n: GraphNode, indent: string): string {
  const attrs: string[] = [`label=${dotString(n.lines.join('\n'))}`];
  if (n.kind === 'join') {
    const symbol = n.lines.length === 1 && n.lines[0].length <= 2;
    attrs.push(symbol ? 'shape=circle, width=0.35, fixedsize=true, fontsize=14' : 'shape=box, style="rounded"');
  } else if (n.kind === 'input') {
    attrs.push('shape=box, style="rounded,dashed"');
  } else {
    attrs.push(`style="rounded,filled", fillcolor=${dotString(FILL[n.kind])}`);
  }
  return `${indent}${n.id} [${attrs.join(', ')}];`;
}

/** DOT text for the graph; `rankdir` BT draws the input at the bottom like the book's figures. */
export function toDot(g: ArchitectureGraph, rankdir: 'BT' | 'TB' | 'LR' = 'BT'): string {
  const out: string[] = [
    'digraph architecture {',
    `  rankdir=${rankdir}; nodesep=0.25; ranksep=0.22; newrank=true;`,
    '  node [shape=box, fontname="Helvetica", fontsize=10, height=0.3, margin="0.12,0.04"];',
    '  edge [arrowsize=0.6, color="#555555"];',
  ];
  // Cluster titles go at the top of the picture; with the input at the bottom (BT) Graphviz calls that 'b'
  const labelloc = rankdir === 'BT' ? 'b' : 't';
  const emitCluster = (parent: string, indent: string) => {
    for (const n of g.nodes.filter((x) => x.cluster === parent)) out.push(nodeStatement(n, indent));
    for (const c of g.clusters.filter((x) => x.parent === parent)) {
      out.push(`${indent}subgraph ${c.id} {`);
      out.push(`${indent}  label=${dotString(c.label)}; labelloc=${labelloc}; fontname="Helvetica"; fontsize=11; labeljust=l;`);
      out.push(`${indent}  style=${c.dashed ? '"rounded,dashed"' : '"rounded"'}; color="#999999";`);
      emitCluster(c.id, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  emitCluster('', '  ');
  for (const e of g.edges) {
    out.push(`  ${e.from} -> ${e.to}${e.shortcut ? ' [style=dashed]' : ''};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
