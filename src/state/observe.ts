/**
 * Observe: turn run records into what is actually running. A record is believed only when
 * its PID is live (a zombie is dead), with the recorded start time, in the recorded boot;
 * anything else is `stale`, with a sentence saying why. Nothing is ever signalled on the
 * word of a stale record, and observe removes nothing: dropping stale records is an action
 * the plan decides on (pruneStale).
 */
import { describeExit, exitKnown } from '../core/exit.js';
import type { Observed, ObservedService, Result, RunRecord } from '../core/model.js';
import { ok } from '../core/model.js';
import type { System } from '../runtime/system.js';
import { type ReadRecordsOptions, readRecord, readRecords, removeRecord } from './store.js';

export interface ObserveOptions extends ReadRecordsOptions {
  /**
   * Service names to report as `absent` when they have no record (the manifest's
   * services), so the plan finds every name it asks about in `services`.
   */
  expected?: Iterable<string>;
}

/**
 * Cost: one directory listing, two small file reads per record (json, pid) and one
 * `system.proc` per record; the boot id is read once.
 */
/**
 * Process groups of the running records: their members are those services' own, so a sweep
 * for tagged processes need not read their environments.
 */
export function runningGroups(observed: Observed): Set<number> {
  const groups = new Set<number>();
  for (const o of Object.values(observed.services)) if (o.status === 'running') groups.add(o.record.pgid);
  return groups;
}

export function observe(stateDir: string, system: System, options: ObserveOptions = {}): Observed {
  const { records, problems } = readRecords(stateDir, options);
  const bootId = system.bootId();
  const services: Record<string, ObservedService> = {};
  for (const record of records) services[record.name] = judge(record, system, bootId);
  for (const name of options.expected ?? []) {
    services[name] ??= { name, status: 'absent' };
  }
  return { services, warnings: problems };
}

/** The identity rule of DESIGN.md ("PID files that cannot lie") for one record. */
export function judge(record: RunRecord, system: System, bootId: string): ObservedService {
  const stale = (why: string): ObservedService => ({ name: record.name, status: 'stale', record, why });
  if (record.bootId !== bootId) return stale(`record from a previous boot (pid ${record.pid})`);
  const info = system.proc(record.pid);
  if (info === undefined) return stale(exitWhy(record) ?? `process ${record.pid} is gone`);
  if (info.state === 'Z' || info.state === 'X') {
    return stale(exitWhy(record) ?? `process ${record.pid} has exited (zombie, waiting to be reaped)`);
  }
  if (info.startTime !== record.startTime) {
    return stale(`pid ${record.pid} now belongs to another process (start time differs)`);
  }
  return { name: record.name, status: 'running', record };
}

/** Whether some stale record does not say yet how its process ended (state/exits.ts records it). */
export function hasUnrecordedExit(observed: Observed): boolean {
  return Object.values(observed.services).some((o) => o.status === 'stale' && o.record.exit === undefined);
}

/** `process 123 exited with code 3`, when the record knows how its process ended. */
export function exitWhy(record: RunRecord): string | undefined {
  const exit = record.exit;
  if (exit === undefined || !exitKnown(exit)) return undefined;
  return `process ${record.pid} ${describeExit(exit)}${exit.cause ? ` (${exit.cause})` : ''}`;
}

/**
 * Remove the records of services observed as stale. Each is removed only while the file on
 * disk is still that stale record (same pid, start time and boot id): a record rewritten
 * since it was observed — the service was started again — is left alone. Returns the names
 * whose records were removed.
 */
export function pruneStale(
  stateDir: string,
  stale: ReadonlyArray<{ name: string; record: RunRecord }>,
): Result<string[]> {
  const removed: string[] = [];
  for (const { name, record } of stale) {
    const current = readRecord(stateDir, name);
    if (current.ok && current.value !== undefined && !sameProcess(current.value, record)) continue;
    // Missing or unreadable: removing is still right (removal of a missing record is a no-op).
    const done = removeRecord(stateDir, name);
    if (!done.ok) return done;
    if (current.ok && current.value !== undefined) removed.push(name);
  }
  return ok(removed);
}

/** Whether two records describe the same process (a PID is reused; its start time is not). */
export function sameProcess(a: RunRecord, b: RunRecord): boolean {
  return a.pid === b.pid && a.startTime === b.startTime && a.bootId === b.bootId;
}
