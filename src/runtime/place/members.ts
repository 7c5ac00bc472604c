/**
 * The exact member list of a service that runs in its own cgroup: the PIDs in
 * `cgroup.procs` of the first of its recorded cgroups (all of them hold the same
 * processes). undefined when it has no cgroup or the list cannot be read (gone, removed),
 * so callers fall back to the process group, descendants and the tag sweep.
 */
import { readFileSync } from 'node:fs';
import type { RecordedPlace } from '../../core/model.js';

export function cgroupMembers(place: RecordedPlace | undefined): number[] | undefined {
  const dir = place?.cgroups[0];
  if (dir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(`${dir}/cgroup.procs`, 'utf8');
  } catch {
    return undefined;
  }
  const pids: number[] = [];
  for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  return pids;
}
