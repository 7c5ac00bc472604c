/**
 * The records of who holds the duties: `run/.supervisor.json` (the detached supervisor)
 * and `run/.watch.json` (a foreground `uiprocs watch`). Service names cannot start with a
 * dot (paths.ts checkServiceName), so neither file can collide with a service's record, and
 * the record listing (store.ts) skips them.
 *
 * Same identity rule as a run record (observe.ts, lock.ts `holderAlive`): a record is
 * believed only while its PID is live, with the recorded start time (field 22 of
 * /proc/<pid>/stat), in the recorded boot. A stale record is never signalled. Finding the
 * supervisor is a read of its record, never a search by command line.
 *
 * Writers: the process that spawns a supervisor writes its record, under the state lock;
 * a watch writes its own. Each removes only a record that still describes itself.
 */

import type { Desired, Result } from '../core/model.js';
import type { System } from '../runtime/system.js';
import { readFileNoFollow, unlinkIfSame, writeFileAtomic } from './atomic-file.js';
import { holderAlive } from './lock.js';
import { statePaths } from './paths.js';
import { isPid } from './record-shape.js';

export type HolderKind = 'supervisor' | 'watch';

export interface HolderRecord {
  version: 1;
  kind: HolderKind;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: a reused PID is not the holder. */
  startTime: string;
  bootId: string;
  /** ISO-8601. */
  startedAt: string;
}

export type HolderLook =
  | { kind: 'missing' }
  | { kind: 'live'; record: HolderRecord }
  | { kind: 'stale'; record: HolderRecord; why: string }
  /** Unreadable or not a record: treated as stale (nothing is signalled on its word). */
  | { kind: 'bad'; ino: number; dev: number };

export function holderPath(stateDir: string, kind: HolderKind): string {
  return `${statePaths(stateDir).run}/.${kind}.json`;
}

/** The desired state the last converge was made from, for the supervisor (see ensure.ts). */
export function desiredSnapshotPath(stateDir: string): string {
  return `${statePaths(stateDir).run}/.desired.json`;
}

export interface Snapshot {
  desired: Desired;
  /** The environment of the converge that wrote it (ensure.ts writeDesiredSnapshot); absent in older files. */
  callerEnv: Record<string, string | undefined> | undefined;
  mtimeMs: number;
}

/**
 * Read `run/.desired.json`, the desired state the supervisor acts on; undefined when
 * missing or not for this state dir. `ps` reads it too when the manifest cannot be used:
 * it is what the supervisor keeps alive meanwhile.
 */
export function readSnapshot(stateDir: string): Snapshot | undefined {
  const read = readFileNoFollow(desiredSnapshotPath(stateDir));
  if (read.kind !== 'file') return undefined;
  try {
    const { callerEnv, ...desired } = JSON.parse(read.text) as Desired & { callerEnv?: unknown };
    if (desired.stateDir !== stateDir || typeof desired.services !== 'object') return undefined;
    const env =
      typeof callerEnv === 'object' && callerEnv !== null ? (callerEnv as Snapshot['callerEnv']) : undefined;
    return { desired, callerEnv: env, mtimeMs: read.mtimeMs };
  } catch {
    return undefined;
  }
}

export function readHolder(stateDir: string, kind: HolderKind, system: System): HolderLook {
  const read = readFileNoFollow(holderPath(stateDir, kind));
  if (read.kind === 'missing') return { kind: 'missing' };
  if (read.kind !== 'file') return { kind: 'missing' };
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch {
    return { kind: 'bad', ino: read.ino, dev: read.dev };
  }
  const record = asHolder(value, kind);
  if (record === undefined) return { kind: 'bad', ino: read.ino, dev: read.dev };
  return judgeHolder(record, system);
}

/** The identity rule for a holder record (same as observe.ts `judge` for a run record). */
export function judgeHolder(record: HolderRecord, system: System): HolderLook {
  const bootId = system.bootId();
  if (record.bootId !== bootId)
    return { kind: 'stale', record, why: `record from a previous boot (pid ${record.pid})` };
  if (!holderAlive(system, bootId, record)) return { kind: 'stale', record, why: `pid ${record.pid} died` };
  return { kind: 'live', record };
}

function asHolder(value: unknown, kind: HolderKind): HolderRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.version !== 1 || v.kind !== kind || !isPid(v.pid)) return undefined;
  for (const key of ['startTime', 'bootId', 'startedAt'] as const)
    if (typeof v[key] !== 'string') return undefined;
  return v as unknown as HolderRecord;
}

/** The record of this very process, as a holder of `kind`. undefined: /proc cannot say who we are. */
export function ownHolderRecord(
  kind: HolderKind,
  system: System,
  pid = process.pid,
): HolderRecord | undefined {
  const info = system.proc(pid);
  if (info === undefined) return undefined;
  return {
    version: 1,
    kind,
    pid,
    startTime: info.startTime,
    bootId: system.bootId(),
    startedAt: new Date().toISOString(),
  };
}

export function writeHolder(stateDir: string, record: HolderRecord): Result<void> {
  return writeFileAtomic(holderPath(stateDir, record.kind), `${JSON.stringify(record, null, 2)}\n`);
}

export function sameHolder(a: HolderRecord, b: Pick<HolderRecord, 'pid' | 'startTime' | 'bootId'>): boolean {
  return a.pid === b.pid && a.startTime === b.startTime && a.bootId === b.bootId;
}

/** Whether the record on disk describes `me` (pid, start time, boot id). */
export function holderIsMe(stateDir: string, me: HolderRecord): boolean {
  const read = readFileNoFollow(holderPath(stateDir, me.kind));
  if (read.kind !== 'file') return false;
  try {
    const value = asHolder(JSON.parse(read.text), me.kind);
    return value !== undefined && sameHolder(value, me);
  } catch {
    return false;
  }
}

/**
 * Remove the record of `kind` if it is still `me` — or, with `me` undefined, whatever stale
 * or bad record lies there (the caller judged it). Never removes a record rewritten since.
 */
export function removeHolderIf(
  stateDir: string,
  kind: HolderKind,
  me: Pick<HolderRecord, 'pid' | 'startTime' | 'bootId'>,
): boolean {
  const path = holderPath(stateDir, kind);
  const read = readFileNoFollow(path);
  if (read.kind !== 'file') return false;
  try {
    const value = asHolder(JSON.parse(read.text), kind);
    if (value !== undefined && !sameHolder(value, me)) return false;
  } catch {
    // garbage: removing it is right
  }
  return unlinkIfSame(path, read.ino, read.dev);
}
