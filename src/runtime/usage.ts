/**
 * What a service uses right now, for `ps`: the processes its usage sums over, their
 * resident memory, and their recent CPU share from two samples of CPU time.
 *
 * The rule of which processes count lives in ONE place, `usageProcesses`: extend it there
 * (and only there) when a service can hold processes another way.
 */
import { processKey } from '../core/identity.js';
import type { RunRecord } from '../core/model.js';
import { cgroupMembers } from './place/members.js';
import { indexOf, membersOf, type ProcessSnapshot, snapshotProcesses } from './service-processes.js';
import type { ProcInfo, System } from './system.js';
import { TICKS_PER_SECOND } from './system.js';

/** A base sample younger than this gives too few ticks (1 tick = 1/100 s) to say much. */
export const MIN_SAMPLE_AGE_MS = 250;
/** Older than this, a base is no longer "recent use" but an average over minutes. */
export const MAX_SAMPLE_AGE_MS = 5 * 60_000;
/** How long `ps` waits for its own second sample when no stored one can serve as base. */
export const FRESH_SAMPLE_WAIT_MS = 250;

/**
 * CPU time of processes at one moment (wall-clock ms, since samples outlive the CLI),
 * keyed by `processKey`. The key holds the start time: a reused PID is another process.
 */
export interface CpuSample {
  at: number;
  ticks: Record<string, number>;
}

export interface ServiceUsage {
  /** Share of one core over the sampled interval (100 = one core busy), one decimal; null when unknown. */
  cpuPercent: number | null;
  /** Sum of resident set sizes; null when no process told it. */
  memoryBytes: number | null;
  /** Live processes summed over. */
  processes: number;
}

/**
 * The processes a running service's usage sums over, over a snapshot with the project's
 * tags (usageSnapshot):
 * - with a cgroup recorded (`place.cgroups`), exactly its `cgroup.procs` (the kernel's own
 *   list; descendants are in it already);
 * - otherwise what `down` would stop (membersOf): the members of its process group, the
 *   processes carrying its UIPROCS_SERVICE tag (double-forked, setsid'd away), and the
 *   descendants by parent PID of all of them.
 */
export function usageProcesses(
  snapshot: ProcessSnapshot,
  record: Pick<RunRecord, 'name' | 'pid' | 'pgid' | 'place'>,
): ProcInfo[] {
  const { byPid } = indexOf(snapshot);
  const cgroup = record.place && record.place.cgroups.length > 0 ? cgroupMembers(record.place) : undefined;
  if (cgroup !== undefined) return cgroup.flatMap((pid) => byPid.get(pid) ?? []);
  const selector = {
    projectId: snapshot.projectId,
    service: record.name,
    pid: record.pid,
    pgid: record.pgid,
  };
  return membersOf(snapshot, selector).flatMap((p) => byPid.get(p.pid) ?? []);
}

/**
 * The snapshot usage looks at: live processes and the project's tags. The environments of
 * the running services' own process groups are not read (their members count anyway), so
 * the tag sweep reads those of the rest of the machine: ~1 ms for 160 processes here
 * (docs/DESIGN.md, "Usage"); the Linux System reads each tag once per process and run.
 */
export function usageSnapshot(
  system: System,
  projectId: string,
  records: readonly Pick<RunRecord, 'pgid'>[],
): ProcessSnapshot {
  return snapshotProcesses(system, projectId, new Set(records.map((r) => r.pgid)));
}

/** The CPU ticks of these processes now, as a sample. Processes that report none are left out. */
export function takeSample(processes: readonly ProcInfo[], at: number): CpuSample {
  const ticks: Record<string, number> = {};
  for (const p of processes) if (p.cpuTicks !== undefined) ticks[processKey(p)] = p.cpuTicks;
  return { at, ticks };
}

/**
 * The base for "recent use": the newest sample at least MIN_SAMPLE_AGE_MS and at most
 * MAX_SAMPLE_AGE_MS old. undefined when none fits (then the caller samples again after a
 * short wait). A sample from the future (the wall clock went back) never fits.
 */
export function chooseBase(samples: readonly CpuSample[], now: number): CpuSample | undefined {
  let best: CpuSample | undefined;
  for (const s of samples) {
    const age = now - s.at;
    if (age < MIN_SAMPLE_AGE_MS || age > MAX_SAMPLE_AGE_MS) continue;
    if (best === undefined || s.at > best.at) best = s;
  }
  return best;
}

/**
 * The samples worth keeping after taking `current`: the base a later run could use (the
 * newest one old enough), and the newer ones spaced at least MIN_SAMPLE_AGE_MS / 2 apart,
 * so rapid `ps` runs (a `watch -n 0.1 uiprocs ps`) keep a handful, not one per run. Each
 * keeps only processes still alive (`alive`: keys of the current process table); samples
 * out of the age window go.
 */
export function pruneSamples(
  samples: readonly CpuSample[],
  current: CpuSample,
  alive: ReadonlySet<string>,
): CpuSample[] {
  const now = current.at;
  const base = chooseBase(samples, now);
  const newer = samples
    .filter((s) => s.at < now && now - s.at < MIN_SAMPLE_AGE_MS)
    .sort((a, b) => a.at - b.at);
  const kept: CpuSample[] = base ? [base] : [];
  for (const s of newer) {
    const last = kept.at(-1);
    if (last === undefined || s.at - last.at >= MIN_SAMPLE_AGE_MS / 2) kept.push(s);
  }
  const pruned = kept.map((s) => ({
    at: s.at,
    ticks: Object.fromEntries(Object.entries(s.ticks).filter(([key]) => alive.has(key))),
  }));
  return [...pruned, current];
}

/**
 * Usage of one service from its processes now and a base sample. A process absent from
 * the base was not there when the base was taken (bases hold every member of every
 * running service), so all its CPU time falls in the interval. null CPU without a base.
 *
 * `since`: when the service's processes started (its record's `startedAt`, wall-clock
 * ms). A service (re)started after the base was taken has used its CPU time in its own
 * life, not since the base: dividing by the base's age showed a busy loop at 9.7 % right
 * after a restart (top: 94 %).
 */
export function serviceUsage(
  processes: readonly ProcInfo[],
  now: CpuSample,
  base: CpuSample | undefined,
  since?: number,
): ServiceUsage {
  let memory: number | null = null;
  for (const p of processes) if (p.rssBytes !== undefined) memory = (memory ?? 0) + p.rssBytes;
  let cpu: number | null = null;
  const from = base === undefined ? now.at : since !== undefined && since > base.at ? since : base.at;
  const interval = now.at - from;
  if (base !== undefined && interval > 0) {
    let ticks = 0;
    let known = false;
    for (const p of processes) {
      const key = processKey(p);
      const current = now.ticks[key];
      if (current === undefined) continue;
      known = true;
      ticks += Math.max(0, current - (base.ticks[key] ?? 0));
    }
    if (known) cpu = Math.round(((ticks / TICKS_PER_SECOND) * 1000 * 1000) / interval) / 10;
  }
  return { cpuPercent: cpu, memoryBytes: memory, processes: processes.length };
}
