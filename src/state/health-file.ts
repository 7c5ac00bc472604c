/**
 * `run/<name>.health`: what the health checks (a `watch`, later the supervisor) last found
 * out about a service's process, so `ps` — another process — can show it.
 *
 * - Written atomically (temp file + rename) on every change of state, never on a probe
 *   that changed nothing: a healthy service costs no write per interval.
 * - It names the process it is about (pid + start time) and is believed only when they
 *   match the service's current, believed run record: a file left by an earlier process
 *   of the service, or by a watch that has ended while the process ran on, is not shown as
 *   that process's health. (A watch that ended leaves a file that still matches: `ps`
 *   also wants it fresh, see `HEALTH_FRESH_FACTOR`.)
 * - Not `<name>.health.json`: `readRecords` takes every `run/*.json` for a run record and
 *   removes one that is not.
 *
 * This module is the reading side, on `ps`'s path; the writer (health-file-write.ts) is
 * apart, so the bundle does not split a shared chunk out for `ps` to load.
 */
import { readFileNoFollow } from './atomic-file.js';
import { healthFilePath } from './paths.js';

export type HealthFileStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthFile {
  version: 1;
  name: string;
  pid: number;
  startTime: string;
  status: HealthFileStatus;
  /** Counted failures in a row. */
  failures: number;
  lastFailure: { message: string; at: string } | null;
  /** ISO-8601: when it was written. */
  updatedAt: string;
  /**
   * ms: the writer writes at least this often while it probes (a heartbeat), so a file
   * older than a few of these was left by a watch that is gone.
   */
  refreshMs: number;
}

/** A file older than this many `refreshMs` is no longer believed: nobody is probing. */
export const HEALTH_FRESH_FACTOR = 3;

/**
 * The health of `name`'s process `{ pid, startTime }`, or null: no file, a file about
 * another process, a stale one, or one that does not parse.
 */
export function readHealthFile(
  stateDir: string,
  name: string,
  process: { pid: number; startTime: string },
  now: number = Date.now(),
): HealthFile | null {
  const read = readFileNoFollow(healthFilePath(stateDir, name));
  if (read.kind !== 'file') return null;
  let value: HealthFile;
  try {
    value = JSON.parse(read.text) as HealthFile;
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || value.version !== 1) return null;
  if (value.name !== name || value.pid !== process.pid || value.startTime !== process.startTime) return null;
  if (!['starting', 'healthy', 'unhealthy'].includes(value.status)) return null;
  const age = now - Date.parse(value.updatedAt);
  if (!(age <= HEALTH_FRESH_FACTOR * Math.max(1000, value.refreshMs ?? 0))) return null;
  return value;
}
