/**
 * How a service ended: the one place that records it. The run record of a process that
 * ended is kept (stale) with an `exit` field — the code or signal, and when — until the
 * next `up` of that service replaces it or a `down` removes it; that is what lets `ps` say
 * `exited (3)` instead of `stopped`, which stays for a stop on purpose.
 *
 * Two kinds of writer, one rule:
 * - The process's parent knows the code: the `up` or `watch` that spawned it (a failed
 *   start, a death watch sees), and later a resident supervisor. It writes under the state
 *   lock it already holds, or takes it for the write.
 * - Anyone else only finds it gone (`ps`, watch for a service an earlier `up` started):
 *   the code is unknown, and `finishedAt` is when it was first found gone.
 * A record is only ever written while the file still describes the same process (pid,
 * start time, boot id), so a service started again meanwhile is never overwritten, and an
 * exit already recorded is replaced only by one that knows more (a code where there was
 * none): the parent's word beats a bystander's.
 */
import { systemClock } from '../core/clock.js';
import { exitKnown } from '../core/exit.js';
import { type Observed, ok, type Result, type RunRecord, type ServiceExit } from '../core/model.js';
import type { System } from '../runtime/system.js';
import { acquireLock } from './lock.js';
import { exitWhy, sameProcess } from './observe.js';
import { readRecord, writeRecord } from './store.js';

/** An exit nobody saw: its code unknown, its end no later than now. */
export function unknownExit(now = new Date()): ServiceExit {
  return { code: null, signal: null, finishedAt: now.toISOString() };
}

/** Whether `exit` says more than what `record` already holds (nothing, or an unknown code). */
function tellsMore(record: RunRecord, exit: ServiceExit): boolean {
  return record.exit === undefined || (!exitKnown(record.exit) && exitKnown(exit));
}

/**
 * The caller holds the state lock. Writes `exit` into the record of `ended.name` if that
 * file still describes the process `ended` describes and `exit` tells more than it holds.
 * Returns the record as written, or undefined when nothing was written.
 */
export function recordExit(
  stateDir: string,
  ended: RunRecord,
  exit: ServiceExit,
): Result<RunRecord | undefined> {
  const current = readRecord(stateDir, ended.name);
  if (!current.ok) return current;
  const record = current.value;
  if (record === undefined || !sameProcess(record, ended) || !tellsMore(record, exit)) return ok(undefined);
  const next: RunRecord = { ...record, exit };
  const written = writeRecord(stateDir, next);
  return written.ok ? ok(next) : written;
}

export interface NoteExitsOptions {
  system: System;
  /** Who writes, for whoever waits for the lock meanwhile (`uiprocs ps`). */
  command: string;
  /** How the process ended, when the caller is its parent (spawn.ts childExitWithin). */
  exitOf?: (pid: number) => Promise<ServiceExit | undefined>;
}

/**
 * For callers that do not hold the lock (`ps`, watch's liveness ticks): record the exit
 * of every observed stale record that has none yet — the parent's report when `exitOf`
 * has one, else "code unknown, found gone now". The lock is tried once and never waited
 * for: a command holding it is changing state and will observe afresh, and the next look
 * records what this one could not. Returns `observed` with the records as written.
 */
export async function noteExits(
  stateDir: string,
  observed: Observed,
  options: NoteExitsOptions,
): Promise<Observed> {
  const pending: { record: RunRecord; exit: ServiceExit }[] = [];
  for (const obs of Object.values(observed.services)) {
    if (obs.status !== 'stale' || (obs.record.exit !== undefined && exitKnown(obs.record.exit))) continue;
    const exit = (await options.exitOf?.(obs.record.pid)) ?? unknownExit();
    if (tellsMore(obs.record, exit)) pending.push({ record: obs.record, exit });
  }
  if (pending.length === 0) return observed;
  const warnings: string[] = [];
  const lock = await acquireLock(stateDir, {
    command: options.command,
    system: options.system,
    clock: systemClock,
    timeoutMs: 0,
    onBreak: (what) => warnings.push(what),
  });
  if (!lock.ok) return observed;
  const services = { ...observed.services };
  try {
    for (const { record, exit } of pending) {
      const written = recordExit(stateDir, record, exit);
      const obs = services[record.name];
      if (!written.ok || written.value === undefined || obs?.status !== 'stale') continue;
      services[record.name] = { ...obs, record: written.value, why: exitWhy(written.value) ?? obs.why };
    }
  } finally {
    lock.value();
  }
  return { ...observed, services, warnings: [...observed.warnings, ...warnings] };
}
