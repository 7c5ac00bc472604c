/**
 * How a service's limits hold, in words for `up`, `config` and `ps`:
 * `memory 128 MB (cgroup v1), cpu 1.5 (not enforced), open_files 300 (rlimit)`.
 */

import { formatBytes } from './format.js';
import type { Enforcement, LimitName, Limits, PlaceKind } from './model.js';

export function describeLimits(
  limits: Limits,
  kind: PlaceKind,
  enforced: Partial<Record<LimitName, Enforcement>>,
): string {
  const how = (e: Enforcement | undefined) =>
    e === 'cgroup' ? (kind === 'cgroup2' ? 'cgroup v2' : 'cgroup v1') : (e ?? 'not enforced');
  const parts: string[] = [];
  if (limits.memory !== undefined)
    parts.push(`memory ${formatBytes(limits.memory)} (${how(enforced.memory)})`);
  if (limits.cpu !== undefined) parts.push(`cpu ${limits.cpu} (${how(enforced.cpu)})`);
  if (limits.processes !== undefined)
    parts.push(`processes ${limits.processes} (${how(enforced.processes)})`);
  if (limits.openFiles !== undefined)
    parts.push(`open_files ${limits.openFiles} (${how(enforced.open_files)})`);
  return parts.join(', ');
}
