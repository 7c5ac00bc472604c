/**
 * What `ps` says about limits: each limit with how it holds (from the running process's
 * record, which says what actually held when it started, or for a service not running,
 * how it would hold now), and whether the kernel's OOM killer acted in its memory cgroup
 * since it started. Loaded by `ps` only when some service has limits.
 */

import { formatBytes } from '../core/format.js';
import type { Enforcement, LimitName, Limits, RecordedPlace } from '../core/model.js';
import { oomKills } from '../runtime/place/cgroups.js';
import { predictPlace } from '../runtime/place/prepare.js';

export type LimitsView = Partial<Record<LimitName, { value: number; enforced: Enforcement }>>;

function view(limits: Limits, enforced: Partial<Record<LimitName, Enforcement>>): LimitsView {
  const out: LimitsView = {};
  const put = (name: LimitName, value: number | undefined) => {
    if (value !== undefined) out[name] = { value, enforced: enforced[name] ?? 'not enforced' };
  };
  put('memory', limits.memory);
  put('cpu', limits.cpu);
  put('processes', limits.processes);
  put('open_files', limits.openFiles);
  return out;
}

export function limitsView(
  limits: Limits | undefined,
  place: RecordedPlace | undefined,
  env: Record<string, string | undefined>,
): LimitsView | null {
  if (place !== undefined) return view(place.limits, place.enforced);
  if (limits === undefined) return null;
  const predicted = predictPlace(limits, env);
  return view(limits, predicted.ok ? predicted.value.enforced : {});
}

/** `hit its memory limit (128 MB): the kernel killed a process of it 2 times`, or undefined. */
export function memoryLimitNote(place: RecordedPlace | undefined): string | undefined {
  if (place?.limits.memory === undefined) return undefined;
  const kills = oomKills(place);
  if (kills === undefined) return undefined;
  const since = kills - (place.oomKillsAtStart ?? 0);
  if (since <= 0) return undefined;
  return `hit its memory limit (${formatBytes(place.limits.memory)}): the kernel killed a process of it ${since === 1 ? 'once' : `${since} times`}`;
}
