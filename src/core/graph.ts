/**
 * Dependency graph helpers shared by the manifest rules (cycle detection with a printable
 * path) and the planner (start services level by level, stop them in reverse).
 *
 * Pure: no I/O, no knowledge of services. Nodes are strings; edges point from a node to
 * what it depends on. Dependencies on names outside `nodes` are ignored, so callers can
 * report unknown names their own way.
 */

export type TopoResult = { levels: string[][] } | { cycle: string[] };

/**
 * Orders `nodes` into levels: level 0 depends on nothing, level k only on earlier levels.
 * Within a level, nodes keep their input order, so output is deterministic.
 *
 * On a cycle, returns its path with the first node repeated at the end
 * (`['a', 'b', 'a']`), starting from the earliest node (in input order) on the cycle, so
 * the message names the cycle the user is most likely looking at.
 */
export function topoLevels(nodes: readonly string[], deps: (node: string) => readonly string[]): TopoResult {
  const known = new Set(nodes);
  const edges = new Map<string, string[]>();
  for (const n of nodes) {
    edges.set(
      n,
      deps(n).filter((d) => known.has(d)),
    );
  }

  const cycle = findCycle(nodes, edges);
  if (cycle) return { cycle };

  const level = new Map<string, number>();
  const levelOf = (n: string): number => {
    const seen = level.get(n);
    if (seen !== undefined) return seen;
    let l = 0;
    for (const d of edges.get(n) ?? []) l = Math.max(l, levelOf(d) + 1);
    level.set(n, l);
    return l;
  };
  const levels: string[][] = [];
  for (const n of nodes) {
    const l = levelOf(n);
    while (levels.length <= l) levels.push([]);
    levels[l]!.push(n);
  }
  return { levels };
}

/**
 * Depth-first search with colours; iterative so a 10,000-long dependency chain cannot
 * overflow the stack. Returns the first cycle met, as a closed path.
 */
function findCycle(nodes: readonly string[], edges: Map<string, string[]>): string[] | null {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Map<string, number>();
  for (const n of nodes) colour.set(n, WHITE);

  for (const start of nodes) {
    if (colour.get(start) !== WHITE) continue;
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    const onPath: string[] = [start];
    colour.set(start, GREY);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const out = edges.get(top.node) ?? [];
      if (top.next < out.length) {
        const d = out[top.next++]!;
        const c = colour.get(d);
        if (c === GREY) {
          const from = onPath.indexOf(d);
          return rotateToEarliest(onPath.slice(from), nodes);
        }
        if (c === WHITE) {
          colour.set(d, GREY);
          stack.push({ node: d, next: 0 });
          onPath.push(d);
        }
      } else {
        colour.set(top.node, BLACK);
        stack.pop();
        onPath.pop();
      }
    }
  }
  return null;
}

/** `[b, c, a]` (a cycle) → `[a, b, c, a]` when `a` comes first in `order`. */
function rotateToEarliest(cycle: string[], order: readonly string[]): string[] {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) {
    if (order.indexOf(cycle[i]!) < order.indexOf(cycle[best]!)) best = i;
  }
  const rotated = [...cycle.slice(best), ...cycle.slice(0, best)];
  return [...rotated, rotated[0]!];
}
