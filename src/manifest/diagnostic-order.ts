import type { Diagnostic } from '../core/model.js';

/** One diagnostic per place; files in the order first met (the manifest first), lines in order. */
export function sortAndDedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  for (const d of diags) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return diags
    .filter((d) => {
      const k = `${d.file}:${d.line}:${d.column}:${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort(
      (a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.column - b.column,
    );
}
