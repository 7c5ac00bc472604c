import { existsSync } from 'node:fs';
import { createLinuxSystem } from './linux-system.js';
import { createPsSystem } from './ps-system.js';

/**
 * The small operating-system interface uiprocs needs: process identity, the process
 * table, environments (for the service tag sweep) and port owners. Linux reads `/proc`
 * (linux-system.ts); elsewhere (macOS) `ps` and `lsof` answer the same questions
 * (ps-system.ts). Everything above the runtime layer talks to this interface only, so the
 * fallback is tested on Linux by forcing it (`UIPROCS_SYSTEM=ps`).
 */

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** One-letter state from /proc/<pid>/stat (`R`, `S`, `Z`, …). */
  state: string;
  /** Process start time: field 22 of /proc/<pid>/stat on Linux; `ps -o lstart=` elsewhere. */
  startTime: string;
  /**
   * Resident set size in bytes (field 24 of /proc/<pid>/stat × the page size; `ps -o rss=`
   * elsewhere), from the same read as the rest. Optional: test fakes need not set it.
   */
  rssBytes?: number;
  /**
   * CPU time used so far, user + system, in clock ticks of 1/100 s (fields 14 and 15 of
   * /proc/<pid>/stat, whose ABI fixes USER_HZ at 100; `ps -o time=` elsewhere).
   */
  cpuTicks?: number;
}

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 in Linux's ABI whatever CONFIG_HZ is). */
export const TICKS_PER_SECOND = 100;

/** `UIPROCS_PROJECT` and `UIPROCS_SERVICE` from a process's environment: who started it. */
export interface ServiceTag {
  project: string;
  service: string;
}

export interface PortOwner {
  pid: number;
  /** Command line joined with spaces, for error messages. */
  command: string;
}

export interface System {
  readonly kind: 'linux' | 'ps';
  /** Changes on every boot; a record from another boot is stale whatever its PID. */
  bootId(): string;
  /** undefined when no such process exists. A zombie is returned with state `Z`. */
  proc(pid: number): ProcInfo | undefined;
  /** All PIDs visible now. */
  pids(): number[];
  /** The process's environment, or undefined when unreadable (gone, zombie, other user). */
  environ(pid: number): Record<string, string> | undefined;
  /** Command line joined with spaces, or undefined when gone. */
  cmdline(pid: number): string | undefined;
  /** Processes listening on a TCP port (IPv4 or IPv6, any address). */
  portOwners(port: number): PortOwner[];
  /**
   * Every TCP port something listens on, from one read of the kernel's socket table.
   * Optional, and undefined when the table cannot be read: then callers connect instead.
   */
  listeningPorts?(): Set<number> | undefined;
  /**
   * Which of `ports` something listens on, for waits that poll until ports open: one call
   * reads the table at most once, however many ports it asks about, so one call per poll
   * round serves every waiter of the round (see listen-rounds.ts). A "listening" answer
   * comes from a read made during the call; "none of them" may come from an earlier read
   * where the System can tell that no socket was added since. Optional; undefined when the
   * table cannot be read.
   */
  listeningAmong?(ports: readonly number[]): Set<number> | undefined;
  /**
   * Optional bulk reads. A sweep over every process (the service-tag search) would cost one
   * `ps` run per PID on the fallback; implementations that can answer in one go say so
   * here. Callers use `processTable()` / `environsOf()`, which fall back to the per-PID calls,
   * so test fakes need not implement these.
   */
  table?(): ProcInfo[];
  environs?(pids: number[]): Map<number, Record<string, string>>;
  /** Service tags of many processes, for Systems that can find them without whole environments. */
  serviceTags?(pids: number[]): Map<number, ServiceTag>;
}

/** A zombie has exited; it only waits to be reaped (late, by PID 1 here). It counts as dead. */
export function isLive(info: ProcInfo | undefined): info is ProcInfo {
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** Which of the ports something listens on, by the cheapest look the System has; undefined when it cannot tell. */
export function listeningAmong(system: System, ports: readonly number[]): Set<number> | undefined {
  if (system.listeningAmong) return system.listeningAmong(ports);
  const all = system.listeningPorts?.();
  return all && new Set(ports.filter((port) => all.has(port)));
}

/** Every process visible now, in one snapshot when the System can take one. */
export function processTable(system: System): ProcInfo[] {
  if (system.table) return system.table();
  const out: ProcInfo[] = [];
  for (const pid of system.pids()) {
    const info = system.proc(pid);
    if (info) out.push(info);
  }
  return out;
}

/** Environments of many processes; unreadable ones are left out. */
export function environsOf(system: System, pids: number[]): Map<number, Record<string, string>> {
  if (system.environs) return system.environs(pids);
  const out = new Map<number, Record<string, string>>();
  for (const pid of pids) {
    const env = system.environ(pid);
    if (env) out.set(pid, env);
  }
  return out;
}

/** The service tags of many processes (untagged and unreadable ones are left out). */
export function serviceTagsOf(system: System, pids: number[]): Map<number, ServiceTag> {
  if (system.serviceTags) return system.serviceTags(pids);
  const out = new Map<number, ServiceTag>();
  for (const [pid, env] of environsOf(system, pids)) {
    const { UIPROCS_PROJECT: project, UIPROCS_SERVICE: service } = env;
    if (project !== undefined && service !== undefined) out.set(pid, { project, service });
  }
  return out;
}

let chosen: System | undefined;

/**
 * The System for this machine: `/proc` when it exists (Linux), else ps/lsof (macOS).
 * `UIPROCS_SYSTEM=ps` forces the fallback so it can be tested on Linux. Start times differ in
 * format between the two kinds, so identities must only be compared within one kind.
 */
export function getSystem(env: Record<string, string | undefined> = process.env): System {
  if (env === process.env && chosen) return chosen;
  const system =
    env.UIPROCS_SYSTEM !== 'ps' && existsSync('/proc/self/stat') ? createLinuxSystem() : createPsSystem();
  if (env === process.env) chosen = system;
  return system;
}
