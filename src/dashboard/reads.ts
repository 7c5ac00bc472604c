/**
 * The dashboard's read-only answers: `/api/project`, `/api/logs/<name>`. Neither shows an
 * environment value (a manifest's `env` holds tokens and passwords; the page needs none of
 * them), and a log is found by the service's name in the manifest, never by a path taken
 * from the request.
 */
import type { Desired } from '../core/model.js';
import { version } from '../core/version.js';
import { tailLines } from '../logs/tail.js';
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

export type LogAnswer =
  | {
      ok: true;
      body:
        | { service: string; path: string; lines: string[] }
        | { service: 'all'; lines: Array<{ service: string; line: string }> };
    }
  | { ok: false; status: 404 | 500; error: string };

export async function logLines(desired: Desired, service: string, n: number): Promise<LogAnswer> {
  try {
    if (service === 'all' && desired.services.all === undefined) {
      // Files carry no times to merge on: each service's last N in manifest order, then the last N of those.
      const specs = Object.values(desired.services);
      const tails = await Promise.all(specs.map((s) => tailLines(s.log.path, n)));
      const lines = specs.flatMap((s, i) => tails[i]!.map((line) => ({ service: s.name, line })));
      return { ok: true, body: { service: 'all', lines: n === 0 ? [] : lines.slice(-n) } };
    }
    const spec = Object.hasOwn(desired.services, service) ? desired.services[service] : undefined;
    if (spec === undefined)
      return { ok: false, status: 404, error: `no service named ${JSON.stringify(service)}` };
    return { ok: true, body: { service, path: spec.log.path, lines: await tailLines(spec.log.path, n) } };
  } catch (error) {
    return { ok: false, status: 500, error: `cannot read the log: ${(error as Error).message}` };
  }
}
