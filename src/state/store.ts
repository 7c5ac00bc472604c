/**
 * Run records on disk: `run/<name>.json` (the truth) and `run/<name>.pid` (derived, for
 * `kill $(cat …)`).
 *
 * Writers hold the state lock (lock.ts); readers (`ps`) do not, so every write is atomic
 * and the order of the two files is chosen so that a lock-free reader never sees a
 * transient state it would mistake for damage:
 * - write: json first, then pid — a reader may see a json without (or with the previous)
 *   pid file, never a pid file without json;
 * - remove: pid first, then json — same guarantee.
 * A pid file without a json is therefore always a leftover, never work in progress.
 */
import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { RunRecord } from '../core/model.js';
import { fail, ok, type Result } from '../core/model.js';
import {
  readFileNoFollow,
  STALE_TEMP_MS,
  TEMP_SUFFIX,
  unlinkIfSame,
  unlinkQuiet,
  unlinkSymlink,
  writeFileAtomic,
} from './atomic-file.js';
import { checkServiceName, describe, errnoCode, statePaths } from './paths.js';
import { recordShapeProblem } from './record-shape.js';

/** Write the record, then its pid file; each atomically (see atomic-file.ts). */
export function writeRecord(stateDir: string, record: RunRecord): Result<void> {
  const name = checkServiceName(record.name);
  if (!name.ok) return name;
  const shape = recordShapeProblem(record);
  if (shape !== undefined) {
    return fail({
      reason: 'state-invalid',
      message: `refusing to write record for ${record.name}: ${shape}`,
    });
  }
  const paths = statePaths(stateDir);
  const json = writeFileAtomic(paths.recordFile(record.name), `${JSON.stringify(record, null, 2)}\n`);
  if (!json.ok) return json;
  return writeFileAtomic(paths.pidFile(record.name), `${record.pid}\n`);
}

/** Remove a service's record: pid file first, then the json (see the module comment). */
export function removeRecord(stateDir: string, name: string): Result<void> {
  const checked = checkServiceName(name);
  if (!checked.ok) return checked;
  const paths = statePaths(stateDir);
  const pid = unlinkQuiet(paths.pidFile(name));
  if (!pid.ok) return pid;
  return unlinkQuiet(paths.recordFile(name));
}

/**
 * Read one record without repairing anything: undefined when there is none, a Failure when
 * the file is there but cannot be believed.
 */
export function readRecord(stateDir: string, name: string): Result<RunRecord | undefined> {
  const checked = checkServiceName(name);
  if (!checked.ok) return checked;
  const path = statePaths(stateDir).recordFile(name);
  const parsed = parseRecordFile(path, name);
  switch (parsed.kind) {
    case 'record':
      return ok(parsed.record);
    case 'missing':
      return ok(undefined);
    default:
      return fail({ reason: 'state-invalid', message: `${path}: ${parsed.problem}` });
  }
}

/**
 * Read-modify-write one record (e.g. bump `restarts`). The caller holds the lock, which is
 * what makes the read and the write one step.
 */
export function updateRecord(
  stateDir: string,
  name: string,
  change: (record: RunRecord) => RunRecord,
): Result<RunRecord> {
  const current = readRecord(stateDir, name);
  if (!current.ok) return current;
  if (current.value === undefined) {
    return fail({ reason: 'state-invalid', message: `no run record for ${name} to update` });
  }
  const next = change(current.value);
  if (next.name !== name) {
    return fail({ reason: 'state-invalid', message: `updating ${name} must not rename it to ${next.name}` });
  }
  const written = writeRecord(stateDir, next);
  return written.ok ? ok(next) : written;
}

export interface ReadRecordsOptions {
  /**
   * Remove what cannot be believed (garbage, wrong shape, symlinks, leftover temp and pid
   * files) and rewrite pid files that disagree with their record. Default true; false
   * only reports, for callers that promise to change nothing (`--dry-run`).
   */
  repair?: boolean;
}

export interface ReadRecordsResult {
  /** Sorted by name. */
  records: RunRecord[];
  /** One line per problem: the file's path, then what is wrong and what was done. */
  problems: string[];
}

/** Read every `run/*.json`, reporting (and by default repairing) whatever is wrong. */
export function readRecords(stateDir: string, options: ReadRecordsOptions = {}): ReadRecordsResult {
  const repair = options.repair ?? true;
  const paths = statePaths(stateDir);
  const problems: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(paths.run, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { records: [], problems };
    return { records: [], problems: [`${paths.run}: cannot list run records: ${describe(error)}`] };
  }

  const jsonNames: string[] = [];
  const pidNames = new Set<string>();
  for (const entry of entries) {
    const file = entry.name;
    if (file.startsWith('.')) {
      if (file.endsWith(TEMP_SUFFIX)) sweepTemp(`${paths.run}/${file}`, repair, problems);
      continue;
    }
    const base = file.endsWith('.json')
      ? file.slice(0, -5)
      : file.endsWith('.pid')
        ? file.slice(0, -4)
        : undefined;
    if (base === undefined || !checkServiceName(base).ok) continue; // not ours to judge
    if (file.endsWith('.json')) jsonNames.push(base);
    else pidNames.add(base);
  }

  const records: RunRecord[] = [];
  for (const name of jsonNames.sort()) {
    const record = readOneForListing(paths.recordFile(name), name, repair, problems);
    if (record === undefined) continue;
    records.push(record);
    if (pidNames.delete(name)) checkPidFile(stateDir, record, repair, problems);
  }
  for (const name of [...pidNames].sort()) {
    removeOrphanPidFile(stateDir, name, repair, problems);
  }
  return { records, problems };
}

type ParsedRecordFile =
  | { kind: 'record'; record: RunRecord; ino: number; dev: number }
  | { kind: 'missing' }
  | { kind: 'symlink'; problem: string }
  | { kind: 'bad'; problem: string; ino?: number; dev?: number };

function parseRecordFile(path: string, name: string): ParsedRecordFile {
  const read = readFileNoFollow(path);
  switch (read.kind) {
    case 'missing':
      return read;
    case 'symlink':
      return { kind: 'symlink', problem: `is a symlink${linkTarget(path)}; records must be regular files` };
    case 'not-a-file':
      return { kind: 'bad', problem: 'is not a regular file' };
    case 'error':
      return { kind: 'bad', problem: `cannot be read: ${read.message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch {
    const what = read.text.trim() === '' ? 'is empty' : 'is not valid JSON (truncated or garbage)';
    return { kind: 'bad', problem: what, ino: read.ino, dev: read.dev };
  }
  const shape = recordShapeProblem(value);
  if (shape !== undefined)
    return { kind: 'bad', problem: `is not a run record: ${shape}`, ino: read.ino, dev: read.dev };
  const record = value as RunRecord;
  if (record.name !== name) {
    return {
      kind: 'bad',
      problem: `names service ${JSON.stringify(record.name)}`,
      ino: read.ino,
      dev: read.dev,
    };
  }
  return { kind: 'record', record, ino: read.ino, dev: read.dev };
}

function readOneForListing(
  path: string,
  name: string,
  repair: boolean,
  problems: string[],
): RunRecord | undefined {
  const parsed = parseRecordFile(path, name);
  switch (parsed.kind) {
    case 'record':
      return parsed.record;
    case 'missing':
      return undefined; // removed between the listing and the read: a `down` is running
    case 'symlink': {
      const removed = repair && unlinkSymlink(path);
      problems.push(
        `${path}: ${parsed.problem}${removed ? '; removed the link (its target is untouched)' : ''}`,
      );
      return undefined;
    }
    case 'bad': {
      const removed = repair && parsed.ino !== undefined && unlinkIfSame(path, parsed.ino, parsed.dev ?? 0);
      problems.push(`${path}: ${parsed.problem}${removed ? '; removed it' : ''}`);
      return undefined;
    }
  }
}

const PID_TEXT = /^([1-9][0-9]*)\n?$/;

/**
 * The pid file is derived from the record, so when they disagree the record wins and the
 * pid file is rewritten. A disagreement can also be a writer caught between its two
 * renames; re-reading both once tells that apart from real damage.
 */
function checkPidFile(stateDir: string, record: RunRecord, repair: boolean, problems: string[]): void {
  const path = statePaths(stateDir).pidFile(record.name);
  const verdict = judgePidFile(path, record);
  if (verdict === undefined) return;
  if (verdict.kind === 'mismatch') {
    const again = readRecord(stateDir, record.name);
    if (!again.ok || again.value === undefined) return; // changing under us: the writer's business
    if (judgePidFile(path, again.value) === undefined) return;
    record = again.value;
  }
  let action = '';
  if (repair) {
    if (verdict.kind === 'symlink') unlinkSymlink(path);
    action = writeFileAtomic(path, `${record.pid}\n`).ok ? `; rewrote it with ${record.pid}` : '';
  }
  problems.push(`${path}: ${verdict.problem}${action}`);
}

type PidVerdict = { kind: 'symlink' | 'junk' | 'mismatch'; problem: string } | undefined;

function judgePidFile(path: string, record: RunRecord): PidVerdict {
  const read = readFileNoFollow(path);
  switch (read.kind) {
    case 'missing':
      return undefined; // a writer between its two renames, or removal in progress
    case 'symlink':
      return { kind: 'symlink', problem: `is a symlink${linkTarget(path)}` };
    case 'not-a-file':
    case 'error':
      return { kind: 'junk', problem: 'is not a readable regular file' };
  }
  const match = PID_TEXT.exec(read.text);
  if (match === null)
    return { kind: 'junk', problem: `does not contain a PID (${JSON.stringify(read.text.slice(0, 40))})` };
  if (Number(match[1]) !== record.pid) {
    return { kind: 'mismatch', problem: `says pid ${match[1]} but the record says ${record.pid}` };
  }
  return undefined;
}

function removeOrphanPidFile(stateDir: string, name: string, repair: boolean, problems: string[]): void {
  const paths = statePaths(stateDir);
  const path = paths.pidFile(name);
  const read = readFileNoFollow(path);
  if (read.kind === 'missing') return;
  // Re-check the json: it may have been written after the listing (json is written first).
  if (readFileNoFollow(paths.recordFile(name)).kind !== 'missing') return;
  let removed = false;
  if (repair) removed = read.kind === 'file' ? unlinkIfSame(path, read.ino, read.dev) : unlinkSymlink(path);
  problems.push(`${path}: pid file without a run record${removed ? '; removed it' : ''}`);
}

function sweepTemp(path: string, repair: boolean, problems: string[]): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return; // renamed into place or swept by someone else meanwhile
  }
  if (!st.isFile() || Date.now() - st.mtimeMs < STALE_TEMP_MS) return;
  const removed = repair && unlinkIfSame(path, st.ino, st.dev);
  problems.push(`${path}: temp file left by an interrupted write${removed ? '; removed it' : ''}`);
}

function linkTarget(path: string): string {
  try {
    return ` (to ${readlinkSync(path)})`;
  } catch {
    return '';
  }
}
