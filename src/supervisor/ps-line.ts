/**
 * What `ps` says about who keeps the services alive: one line under the table, and
 * `supervised` per row of `ps --json`. One small file read (`run/.supervisor.json`), and a
 * second (`run/.watch.json`) only when no supervisor record exists while one would be needed.
 */
import type { Desired, RunRecord } from '../core/model.js';
import { memoryWatched, needsSupervision } from '../core/supervision.js';
import type { System } from '../runtime/system.js';
import { dashboardUrl, formatUptime } from '../ui/format.js';
import { readHolder } from './record.js';

export interface SupervisionView {
  /** The line under the table, or undefined when nothing needs supervision and none is recorded. */
  line: string | undefined;
  /** Whether a live supervisor or watch keeps `name` alive (it runs and has a restart policy). */
  supervised(name: string, running: boolean): boolean;
}

export function supervisionView(
  desired: Desired,
  running: readonly Pick<RunRecord, 'name' | 'place'>[],
  system: System,
  now = Date.now(),
): SupervisionView {
  const watched = memoryWatched(running);
  const wanted =
    desired.supervise === false
      ? []
      : running
          .map((r) => r.name)
          .filter((n) => {
            const spec = desired.services[n];
            return spec !== undefined && needsSupervision(spec, watched.has(n));
          });
  const wantedSet = new Set(wanted);
  const keeping = wanted.length > 0 ? `keeping ${wanted.join(', ')} alive` : 'nothing to keep alive';
  const sup = readHolder(desired.stateDir, 'supervisor', system);
  let line: string | undefined;
  let live = false;
  if (sup.kind === 'live') {
    live = true;
    const up = formatUptime(Math.max(0, now - Date.parse(sup.record.startedAt)));
    line = `supervisor: pid ${sup.record.pid}, up ${up}, ${keeping}`;
  } else if (sup.kind === 'stale' || sup.kind === 'bad') {
    const who = sup.kind === 'stale' ? `pid ${sup.record.pid} died` : 'its record is unreadable';
    line = `supervisor: gone (${who}); the next up starts a new one`;
  } else if (wanted.length > 0 || (desired.dashboard !== undefined && running.length > 0)) {
    const watch = readHolder(desired.stateDir, 'watch', system);
    if (watch.kind === 'live') {
      live = true;
      line = `watch: pid ${watch.record.pid}, ${keeping}`;
    } else line = 'supervisor: none; the next up starts one (restart policies act only while one runs)';
  }
  // Whoever holds the duties serves the manifest's dashboard (`dashboard: { port }`).
  if (live && desired.dashboard !== undefined && running.length > 0)
    line = `${line ?? ''}${line ? '\n' : ''}dashboard: ${dashboardUrl(desired.dashboard.port)}`;
  return { line, supervised: (name, running) => live && running && wantedSet.has(name) };
}
