/**
 * What is left of a service whose main process ended and whose restart policy leaves it
 * down (`restart: no`, a clean exit under `on-failure`, `max_restarts` given up): gunicorn's
 * workers after its master was kill -9'd keep serving, and hold its port, for as long as
 * nobody stops them. The holder of the duties (duties/start-duties.ts) stops them at once, as a
 * restart would before starting anew, so "dead" means dead.
 *
 * - Under the state lock, and only while the record is still the one that ended (same pid
 *   and start time, still not running): an `up` in between may have started the service
 *   again, and its new processes carry the same tag.
 * - By tag and cgroup only (pid 0), never by the dead leader's PID or group: nothing
 *   vouches for those numbers any more.
 * - The record stays, marked `leftDown`, so `ps` says how the service ended (`exited
 *   (SIGKILL)`, not `restarting`), now with nothing left of it.
 */
import { systemClock } from '../core/clock.js';
import { fail, ok, type Result } from '../core/model.js';
import { stopSettings } from '../core/stop-settings.js';
import { findServiceProcesses } from '../runtime/service-processes.js';
import { stopService } from '../runtime/stop.js';
import type { System } from '../runtime/system.js';
import { acquireLock } from '../state/lock.js';
import { judge } from '../state/observe.js';
import { readRecord, updateRecord } from '../state/store.js';

export interface StopRemainsInput {
  stateDir: string;
  name: string;
  system: System;
  /** Who holds the lock meanwhile: `uiprocs supervisor`, `uiprocs watch`. */
  command: string;
  /** Why the policy left it down, kept in the record (RunRecord.leftDown). */
  why: string;
  /** The manifest's stop_signal / stop_timeout, when it has the service. */
  stopSignal?: string;
  stopTimeoutMs?: number;
}

/** The number of processes stopped (0: nothing was left, or the service was started again). */
export async function stopRemains(input: StopRemainsInput): Promise<Result<number>> {
  const { stateDir, name, system } = input;
  const lock = await acquireLock(stateDir, { command: input.command, system, clock: systemClock });
  if (!lock.ok) return lock;
  try {
    const read = readRecord(stateDir, name);
    if (!read.ok) return read;
    const record = read.value;
    if (record === undefined || judge(record, system, system.bootId()).status !== 'stale') return ok(0);
    const marked = updateRecord(stateDir, name, (r) => ({
      ...r,
      leftDown: { at: new Date().toISOString(), why: input.why },
    }));
    if (!marked.ok) return marked;
    const selector = { projectId: record.project, service: name, place: record.place };
    const left = findServiceProcesses(system, selector);
    if (left.length === 0) return ok(0);
    const report = await stopService(
      { pid: 0, pgid: 0, ...selector },
      {
        ...stopSettings({ stopSignal: input.stopSignal, stopTimeout: input.stopTimeoutMs }, record),
        system,
        clock: systemClock,
      },
    );
    if (report.survivors.length > 0) {
      const who = report.survivors.map((p) => `pid ${p.pid} (${p.command})`).join(', ');
      return fail({
        reason: 'service-failed',
        message: `${name}: could not stop what is left of it: ${who}`,
      });
    }
    return ok(left.length);
  } finally {
    lock.value();
  }
}
