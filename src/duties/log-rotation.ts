/**
 * Log rotation while services run, for `watch`: `up` rotates a log only before a start, so
 * a service that runs for days would grow its log without bound. Each liveness tick hands
 * the logs of the running services here; one past `max_size` is rotated by copy-truncate
 * (rotate.ts), which keeps the service's open descriptor valid.
 *
 * Rotation of one log must not run twice at once (rotate.ts), and `up` in another terminal
 * rotates before its starts under the state lock. So the lock is taken here too, but only
 * when a log needs rotating (a `stat` per log otherwise), and only if it is free right now:
 * when another command holds it, the next tick tries again. Nothing ever waits on rotation.
 */
import { statSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { LogSpec } from '../core/model.js';
import { rotateIfNeeded } from '../logs/rotate.js';
import type { System } from '../runtime/system.js';
import { acquireLock } from '../state/lock.js';

export interface LogRotatorDeps {
  system: System;
  clock: Clock;
  /** A rotation problem, said once until it changes (a tick repeats every second). */
  warn: (message: string) => void;
  /** Around each rotation: the stamper stamps what the log holds, then starts it again (log-stamps.ts). */
  stamps?: { flush(path: string): void; rotated(path: string, happened: boolean): void };
}

/**
 * Returns the per-tick function: rotate those of `logs` that reached their `max_size`, under
 * the lock of `stateDir` (passed per call: a manifest edit may move it).
 */
export function logRotator(deps: LogRotatorDeps): (stateDir: string, logs: LogSpec[]) => Promise<void> {
  const reported = new Set<string>();
  return async (stateDir, logs) => {
    const due: LogSpec[] = [];
    for (const log of logs) if (needsRotation(log)) due.push(log);
    if (due.length === 0) return;
    const lock = await acquireLock(stateDir, {
      command: 'uiprocs watch (log rotation)',
      system: deps.system,
      clock: deps.clock,
      timeoutMs: 0,
    });
    if (!lock.ok) return; // busy: another command converges; the next tick rotates
    try {
      for (const log of due) {
        deps.stamps?.flush(log.path);
        const result = await rotateIfNeeded(log);
        // Also when it did not rotate after all (or failed): stamping resumes either way.
        deps.stamps?.rotated(log.path, result.ok && result.value.rotated);
        if (result.ok) {
          reported.delete(log.path);
        } else if (!reported.has(log.path)) {
          reported.add(log.path);
          deps.warn(result.error.reason === 'io' ? result.error.message : `cannot rotate ${log.path}`);
        }
      }
    } finally {
      lock.value();
    }
  };
}

/**
 * Synchronous: a stat of a local file takes microseconds, while 50 of them through libuv's
 * thread pool woke the event loop 50 times (and its pool threads) for each look — most of
 * an idle supervisor's CPU.
 */
function needsRotation(log: LogSpec): boolean {
  if (!(log.maxSize > 0)) return false;
  try {
    return statSync(log.path).size >= log.maxSize;
  } catch {
    return false; // not written yet, or gone: nothing to rotate
  }
}
