import type { Desired, Observed } from './model.js';
import { sha256Hex } from './sha256.js';

/**
 * The project id tags every process uiprocs starts (`UIPROCS_PROJECT`): the project name
 * alone is not unique (two checkouts of one repo), so the state dir's path is folded in.
 */
export function projectId(project: string, stateDir: string): string {
  return `${project}-${sha256Hex(stateDir).slice(0, 8)}`;
}

/**
 * The id the project's processes carry. Normally the manifest's. From the run records
 * alone (`recordsOnly`: the manifest cannot be used, so its `project` may be unreadable),
 * the id the records were written with — when they all agree on one, and it was made for
 * this very state dir (`<name>-<8 hex>` of it); a record cannot point the tag sweep at
 * another dir's processes.
 */
export function projectIdOf(desired: Desired, observed: Observed): string {
  const own = projectId(desired.project, desired.stateDir);
  if (!desired.recordsOnly) return own;
  const ids = new Set<string>();
  for (const o of Object.values(observed.services)) if (o.status !== 'absent') ids.add(o.record.project);
  const [id] = ids;
  if (ids.size !== 1 || id === undefined || id === own) return own;
  return projectId(id.slice(0, -9), desired.stateDir) === id ? id : own;
}

/**
 * A process's identity: its PID and its start time (in clock ticks since boot, from
 * /proc/<pid>/stat), so a PID reused by another process is never taken for it: `pid:start`,
 * made and taken apart only here (it keys maps, so it stays a string).
 */
export type ProcessKey = string;

export function processKey(p: { pid: number; startTime: string }): ProcessKey {
  return `${p.pid}:${p.startTime}`;
}

/** The PID and start time a key was made of. */
export function keyParts(key: ProcessKey): { pid: number; startTime: string } {
  const at = key.indexOf(':');
  return { pid: Number(key.slice(0, at)), startTime: key.slice(at + 1) };
}
