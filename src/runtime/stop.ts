import { constants } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { RecordedPlace } from '../core/model.js';
import { createSweeper, membersOf, type ProcessSnapshot, type ServiceProcess } from './service-processes.js';
import { isLive, type ProcInfo, processTable, type System } from './system.js';

export {
  createSweeper,
  findServiceProcesses,
  type ServiceProcess,
  type ServiceSelector,
  taggedIn,
  taggedProcesses,
} from './service-processes.js';

export interface StopTarget {
  /** The recorded leader; 0 when the record is not believed (processes are then found by tag). */
  pid: number;
  pgid: number;
  projectId: string;
  service: string;
  /**
   * The recorded leader's start time. With it, a leader found alive with that start time
   * and group proves the group ours, and the group is signalled before anything else is
   * looked up (see stopService).
   */
  startTime?: string;
  /** The recorded place: a cgroup's member list is exact (service-processes.ts). */
  place?: RecordedPlace;
}

export interface StopOptions {
  signal: string;
  timeoutMs: number;
  system: System;
  clock: Clock;
  /** Aborting skips the rest of the grace period and escalates to SIGKILL now (second Ctrl-C). */
  force?: AbortSignal;
  /**
   * Where process snapshots come from. Stops that run together pass one shared sweeper
   * (createSweeper), so they look at /proc together; without it each stop has its own.
   */
  sweep?: () => Promise<ProcessSnapshot>;
  /**
   * A snapshot taken under the lock just before the stops began (down's search for
   * leftovers): the first look for members uses it rather than sweeping /proc again while
   * the servers signalled a moment ago are exiting. Later looks (for children forked while
   * stopping) always sweep afresh.
   */
  firstLook?: ProcessSnapshot;
}

export interface StopReport {
  /** True when no process of the service is left. */
  stopped: boolean;
  durationMs: number;
  /** Processes that outlived the stop signal and timeout and got SIGKILL. */
  killed: { pid: number; command: string }[];
  /** Still alive after SIGKILL and the grace period: the stop failed. */
  survivors: { pid: number; command: string }[];
}

/** How often membership is re-checked while waiting; one stat read per member. */
export const STOP_POLL_MS = 25;
/** After SIGKILL, how long to wait for the kernel (and a late-reaping PID 1) before giving up. */
export const KILL_GRACE_MS = 2000;

/**
 * Stops every process of a service: the stop signal to the process group and to each
 * member outside it (descendants that left the group, setsid'd grandchildren found by
 * tag), then polls until all are gone (a zombie counts as gone). After `timeoutMs` the
 * same set gets SIGKILL. Returns when nothing is left or, after SIGKILL, the grace period
 * ran out.
 *
 * Safety: a PID is signalled only if it is in the set found for this service AND its start
 * time still matches what was seen when it was found, so a PID recycled for someone else
 * is never hit. The group is signalled as a whole only while a verified member is still in
 * it (a process group ID cannot be reused while it has a member).
 */
export async function stopService(target: StopTarget, opts: StopOptions): Promise<StopReport> {
  const { system, clock } = opts;
  const started = clock.now();
  const signal = normalizeSignal(opts.signal);
  const members = new Map<number, ServiceProcess>();
  const sweep = opts.sweep ?? createSweeper(system, target.projectId);
  let firstLook = opts.firstLook;
  const discover = async (): Promise<void> => {
    const snapshot = firstLook ?? (await sweep());
    firstLook = undefined;
    for (const p of membersOf(snapshot, target)) if (!members.has(p.pid)) members.set(p.pid, p);
  };
  const alive = (): ServiceProcess[] => {
    const out: ServiceProcess[] = [];
    // On the ps fallback every lookup is a child process: one table snapshot per poll instead.
    const snapshot = system.kind === 'ps' && members.size > 1 ? byPid(processTable(system)) : undefined;
    for (const [pid, p] of members) {
      const info = snapshot ? snapshot.get(pid) : system.proc(pid);
      if (isLive(info) && info.startTime === p.startTime) out.push(p);
      else members.delete(pid);
    }
    return out;
  };
  /** `groupDone`: the group already got `sig`; signal only those outside it. */
  const signalAll = (sig: NodeJS.Signals, who: ServiceProcess[], groupDone = false): void => {
    const groupAlive = target.pgid > 1 && who.some((p) => system.proc(p.pid)?.pgid === target.pgid);
    if (groupAlive && !groupDone) send(-target.pgid, sig);
    for (const p of who) if (!(groupAlive && p.pgid === target.pgid)) send(p.pid, sig);
  };

  // The group first, when its recorded leader proves it ours: the sweep for members
  // outside it reads the whole process table, and it is taken after every stop begun in
  // this turn has sent its signal (the sweeper waits a turn and serves them all).
  const leader = target.pid > 1 ? system.proc(target.pid) : undefined;
  const groupFirst =
    target.pgid > 1 &&
    target.startTime !== undefined &&
    isLive(leader) &&
    leader.startTime === target.startTime &&
    leader.pgid === target.pgid;
  if (groupFirst) send(-target.pgid, signal);
  await discover();
  signalAll(signal, alive(), groupFirst);
  const deadline = started + opts.timeoutMs;
  let left = await waitGone(alive, clock, deadline, opts.force);
  if (left.length === 0) {
    // Children forked while stopping are caught by one last sweep before declaring victory.
    await discover();
    left = alive();
    if (left.length > 0) {
      signalAll(signal, left);
      left = await waitGone(alive, clock, Math.max(deadline, clock.now() + 500), opts.force);
    }
  }

  const killed: StopReport['killed'] = [];
  if (left.length > 0) {
    await discover();
    left = alive();
    for (const p of left) killed.push(described(system, p));
    signalAll('SIGKILL', left);
    left = await waitGone(alive, clock, clock.now() + KILL_GRACE_MS);
  }
  const survivors = left.map((p) => described(system, p));
  return {
    stopped: survivors.length === 0,
    durationMs: Math.round(clock.now() - started),
    killed,
    survivors,
  };
}

async function waitGone(
  alive: () => ServiceProcess[],
  clock: Clock,
  deadline: number,
  force?: AbortSignal,
): Promise<ServiceProcess[]> {
  let left = alive();
  // Most servers exit within milliseconds of the signal: look again soon, then settle
  // into the regular poll (each look is one stat read per member).
  let pause = 2;
  while (left.length > 0 && clock.now() < deadline && !force?.aborted) {
    await clock.sleep(Math.min(pause, Math.max(1, deadline - clock.now())));
    pause = Math.min(STOP_POLL_MS, pause * 2);
    left = alive();
  }
  return left;
}

/** `TERM`, `sigterm`, `SIGTERM` → `SIGTERM`. Unknown names were rejected by validation; SIGTERM is the safe default. */
export function normalizeSignal(name: string): NodeJS.Signals {
  const upper = name.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return full in constants.signals ? (full as NodeJS.Signals) : 'SIGTERM';
}

/**
 * A process's command line, for a report. Read only for processes named in one (they
 * ignored the signal, so they are alive): reading the command line of a process that is
 * exiting waits until the kernel has torn down its memory, and a `down` of 50 servers
 * spent its time in those reads while the servers exited.
 */
function described(system: System, p: ServiceProcess): { pid: number; command: string } {
  return { pid: p.pid, command: system.cmdline(p.pid) ?? '?' };
}

function byPid(table: ProcInfo[]): Map<number, ProcInfo> {
  return new Map(table.map((p) => [p.pid, p]));
}

function send(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: exited between the check and the signal. EPERM: not ours to signal; it will
    // show up as a survivor rather than crash the stop.
  }
}
