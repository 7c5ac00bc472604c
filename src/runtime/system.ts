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
}

/** A zombie has exited; it only waits to be reaped (late, by PID 1 here). It counts as dead. */
export function isLive(info: ProcInfo | undefined): info is ProcInfo {
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}
