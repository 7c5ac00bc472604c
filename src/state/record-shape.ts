/**
 * Checking a parsed run record by hand: a record file is input from disk (another version
 * of uiprocs, a crash, a curious user), and a record that is believed decides which
 * process gets signalled. A dozen typeof checks cost microseconds; a schema library would
 * cost an import on every `ps`.
 */
import type { RunRecord } from '../core/model.js';

/** The first thing wrong with `value` as a RunRecord, or undefined when it is one. */
export function recordShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (r.version !== 1) return `unsupported version ${JSON.stringify(r.version)}`;
  for (const key of ['name', 'project', 'bootId', 'configHash', 'cwd', 'logPath', 'startedAt'] as const) {
    if (typeof r[key] !== 'string') return `${key} must be a string`;
  }
  if (r.name === '') return 'name must not be empty';
  for (const key of ['pid', 'pgid', 'sid'] as const) {
    if (!isPid(r[key])) return `${key} must be a positive integer`;
  }
  if (typeof r.startTime !== 'string' || !/^\S+$/.test(r.startTime))
    return 'startTime must be a non-empty string';
  if (r.bootId === '') return 'bootId must not be empty';
  if (
    r.port !== null &&
    !(Number.isInteger(r.port) && (r.port as number) >= 1 && (r.port as number) <= 65535)
  ) {
    return 'port must be null or an integer from 1 to 65535';
  }
  const command = r.command;
  const commandOk =
    (typeof command === 'string' && command !== '') ||
    (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string'));
  if (!commandOk) return 'command must be a non-empty string or array of strings';
  if (!(Number.isInteger(r.restarts) && (r.restarts as number) >= 0))
    return 'restarts must be a non-negative integer';
  if (r.exit !== undefined) return exitShapeProblem(r.exit);
  return undefined;
}

/** `exit`, when present: a code (integer) or a signal (`SIG…`) or neither, and a finish time. */
function exitShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'exit must be an object';
  const e = value as Record<string, unknown>;
  if (e.code !== null && !Number.isInteger(e.code)) return 'exit.code must be null or an integer';
  if (e.signal !== null && !(typeof e.signal === 'string' && /^SIG[A-Z0-9]+$/.test(e.signal)))
    return 'exit.signal must be null or a signal name';
  if (typeof e.finishedAt !== 'string') return 'exit.finishedAt must be a string';
  if (e.cause !== undefined && typeof e.cause !== 'string') return 'exit.cause must be a string';
  return undefined;
}

export function isRunRecord(value: unknown): value is RunRecord {
  return recordShapeProblem(value) === undefined;
}

/** PIDs are positive; 0 and negatives would mean "my group" or "every process" to kill(2). */
export function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 0x3fffffff;
}
