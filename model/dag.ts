/**
 * The startup DAG: one pure module. The same edges become systemd
 * `After=`/`Wants=` lines and Pulumi `dependsOn`, so a reboot and a
 * `pulumi up` start services in the same order.
 */

/** node -> the nodes it starts after. */
export type Edges = Readonly<Record<string, readonly string[]>>;

export class DagError extends Error {
  constructor(
    message: string,
    /** The node whose edge list is at fault (for the config key path). */
    readonly node: string,
  ) {
    super(message);
    this.name = "DagError";
  }
}

/**
 * Checks that every edge target is a known node and that there is no cycle.
 * Throws a DagError with an exact message naming the offending edge or cycle.
 */
export function validateDag(nodes: readonly string[], edges: Edges): void {
  const known = new Set(nodes);
  for (const node of nodes) {
    for (const target of edges[node] ?? []) {
      if (!known.has(target)) {
        throw new DagError(`"${node}" starts after unknown service "${target}"; known services: ${nodes.join(", ")}`, node);
      }
      if (target === node) {
        throw new DagError(`"${node}" cannot start after itself`, node);
      }
    }
  }
  const cycle = findCycle(nodes, edges);
  if (cycle) {
    throw new DagError(`startup order has a cycle: ${cycle.join(" -> ")}`, cycle[0]!);
  }
}

function findCycle(nodes: readonly string[], edges: Edges): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "visiting") {
      return [...stack.slice(stack.indexOf(node)), node];
    }
    state.set(node, "visiting");
    stack.push(node);
    for (const target of edges[node] ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of nodes) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Startup levels: level 0 holds the nodes with no dependencies; a node sits
 * one level above its deepest dependency. Nodes keep their input order
 * inside a level. Call validateDag first.
 */
export function startupLevels(nodes: readonly string[], edges: Edges): string[][] {
  const level = new Map<string, number>();
  const depth = (node: string): number => {
    const known = level.get(node);
    if (known !== undefined) return known;
    const deps = edges[node] ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    level.set(node, value);
    return value;
  };
  const levels: string[][] = [];
  for (const node of nodes) {
    const l = depth(node);
    (levels[l] ??= []).push(node);
  }
  return levels;
}

/**
 * The edges among a subset of nodes (the enabled services): a dependency on a
 * node outside the subset is replaced by that node's own nearest dependencies
 * inside it, so disabling a service in the middle keeps the order around it.
 */
export function restrictEdges(edges: Edges, keep: readonly string[]): Record<string, string[]> {
  const kept = new Set(keep);
  const nearest = (node: string): string[] => (edges[node] ?? []).flatMap((dep) => (kept.has(dep) ? [dep] : nearest(dep)));
  return Object.fromEntries(keep.map((node) => [node, [...new Set(nearest(node))]]));
}
