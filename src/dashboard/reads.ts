/**
 * The dashboard's read-only answers: `/api/project`, `/api/logs/<name>`. Neither shows an
 * environment value (a manifest's `env` holds tokens and passwords; the page needs none of
 * them), and a log is found by the service's name in the manifest, never by a path taken
 * from the request.
 */
import type { Desired } from '../core/model.js';
import { version } from '../core/version.js';
import { mergeByTime } from '../logs/timed-print.js';
import { readTimedLines, type TimedLine } from '../logs/timed-read.js';
import type { System } from '../runtime/system.js';
import { readHolder } from '../state/holder-record.js';

export function projectInfo(desired: Desired, system: System, now = Date.now()) {
  // A records-only project (the manifest cannot be used) has the state dir all the same:
  // its supervisor, if one runs, is still there and still restarts.
  const sup = readHolder(desired.stateDir, 'supervisor', system);
  return {
    project: desired.project,
    manifest: desired.manifestPath,
    state_dir: desired.stateDir,
    groups: desired.groups,
    services: Object.values(desired.services).map((s) => ({
      name: s.name,
      groups: s.groups,
      log_path: s.log.path,
    })),
    supervisor:
      sup.kind === 'live'
        ? { pid: sup.record.pid, uptime_ms: Math.max(0, now - Date.parse(sup.record.startedAt)) }
        : null,
    version: version(),
  };
}

/** A log line as the page gets it: when it was written (ISO-8601; `approx`: at the latest, see logs/line-times.ts). */
export interface PageLogLine {
  service: string;
  line: string;
  time: string;
  approx?: true;
  stream: string;
}

export type LogAnswer =
  | {
      ok: true;
      body:
        | { service: string; path: string; lines: string[]; entries: PageLogLine[] }
        | { service: 'all'; lines: PageLogLine[] };
    }
  | { ok: false; status: 404 | 500; error: string };

export function pageLine(l: TimedLine): PageLogLine {
  return {
    service: l.service,
    line: l.text,
    time: new Date(l.at).toISOString(),
    ...(l.approx ? { approx: true as const } : {}),
    stream: l.stream,
  };
}

export async function logLines(desired: Desired, service: string, n: number): Promise<LogAnswer> {
  const read = (name: string) => {
    const log = desired.services[name]!.log;
    return readTimedLines(name, log.path, { tail: n, keep: log.keep });
  };
  try {
    if (service === 'all' && desired.services.all === undefined) {
      // Each service's last N, merged in the order they were written, then the last N of those.
      const lists = await Promise.all(Object.keys(desired.services).map(read));
      const lines = mergeByTime(lists).map(pageLine);
      return { ok: true, body: { service: 'all', lines: n === 0 ? [] : lines.slice(-n) } };
    }
    const spec = Object.hasOwn(desired.services, service) ? desired.services[service] : undefined;
    if (spec === undefined)
      return { ok: false, status: 404, error: `no service named ${JSON.stringify(service)}` };
    const entries = (await read(service)).map(pageLine);
    return { ok: true, body: { service, path: spec.log.path, lines: entries.map((e) => e.line), entries } };
  } catch (error) {
    return { ok: false, status: 500, error: `cannot read the log: ${(error as Error).message}` };
  }
}
