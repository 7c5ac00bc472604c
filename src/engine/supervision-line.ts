/**
 * What `ps` says about who keeps the services alive: one line under the table, and
 * `supervised` per row of `ps --json`. One small file read (`run/.supervisor.json`), and a
 * second (`run/.watch.json`) only when no supervisor record exists while one would be needed.
 */

import { dashboardUrl, formatUptime } from '../core/format.js';
import { type Desired, isTask, type RunRecord, type ServiceExit } from '../core/model.js';
import { memoryWatched, needsSupervision } from '../core/supervision.js';
import type { System } from '../runtime/system.js';
import { tokenForUrl } from '../state/dashboard-token.js';
import { readHolder, readSnapshot } from '../state/holder-record.js';

export interface SupervisionView {
  /** The line under the table, or undefined when nothing needs supervision and none is recorded. */
  line: string | undefined;
  /** Whether a live supervisor or watch keeps `name` alive (it runs and has a restart policy). */
  supervised(name: string, running: boolean): boolean;
  /**
   * Whether a live holder of the duties is about to start `name` again: its main process
   * ended (`exit`, if known), and its policy restarts such an end.
   */
  restarts(name: string, exit: ServiceExit | undefined): boolean;
  /** Who holds the duties, when someone live does. */
  holder: 'supervisor' | 'watch' | undefined;
}

export function supervisionView(
  desired: Desired,
  running: readonly Pick<RunRecord, 'name' | 'place'>[],
  system: System,
  now = Date.now(),
  ended: readonly Pick<RunRecord, 'name' | 'exit' | 'leftDown'>[] = [],
): SupervisionView {
  const watched = memoryWatched(running);
  // Without a usable manifest, what the supervisor keeps alive is its own snapshot's
  // services: it restarts them whatever the manifest on disk says meanwhile.
  const policy = desired.recordsOnly ? (readSnapshot(desired.stateDir)?.desired ?? desired) : desired;
  const wanted =
    policy.supervise === false
      ? []
      : running
          .map((r) => r.name)
          .filter((n) => {
            const spec = policy.services[n];
            return spec !== undefined && needsSupervision(spec, watched.has(n));
          });
  const wantedSet = new Set(wanted);
  // A service whose main process ended is still kept alive: its restart is due.
  const restartsOf = (name: string, exit: ServiceExit | undefined) => {
    const spec = policy.services[name];
    if (policy.supervise === false || spec === undefined || isTask(policy, name)) return false;
    if (!needsSupervision(spec, watched.has(name))) return false;
    return spec.restart === 'always' || (spec.restart === 'on-failure' && exit?.code !== 0);
  };
  const leftDown = new Set(ended.filter((r) => r.leftDown !== undefined).map((r) => r.name));
  const kept = [
    ...wanted,
    ...ended.filter((r) => !leftDown.has(r.name) && restartsOf(r.name, r.exit)).map((r) => r.name),
  ];
  const keeping =
    kept.length > 0 ? `keeping ${kept.join(', ')} alive` : 'stamping logs, nothing to keep alive';
  const sup = readHolder(desired.stateDir, 'supervisor', system);
  let line: string | undefined;
  let live = false;
  let holder: SupervisionView['holder'];
  if (sup.kind === 'live') {
    live = true;
    holder = 'supervisor';
    const up = formatUptime(Math.max(0, now - Date.parse(sup.record.startedAt)));
    line = `supervisor: pid ${sup.record.pid}, up ${up}, ${keeping}`;
  } else if (sup.kind === 'stale' || sup.kind === 'bad') {
    const who = sup.kind === 'stale' ? `pid ${sup.record.pid} died` : 'its record is unreadable';
    line = `supervisor: gone (${who}); the next up starts a new one`;
  } else if (kept.length > 0 || (desired.dashboard !== undefined && running.length > 0)) {
    const watch = readHolder(desired.stateDir, 'watch', system);
    if (watch.kind === 'live') {
      live = true;
      holder = 'watch';
      line = `watch: pid ${watch.record.pid}, ${keeping}`;
    } else line = 'supervisor: none; the next up starts one (restart policies act only while one runs)';
  }
  // Whoever holds the duties serves the manifest's dashboard (`dashboard: { port }`).
  if (live && desired.dashboard !== undefined && running.length > 0)
    line = `${line ?? ''}${line ? '\n' : ''}dashboard: ${dashboardUrl(desired.dashboard.port, tokenForUrl(desired.stateDir))}`;
  return {
    line,
    holder,
    supervised: (name, running) => live && running && wantedSet.has(name),
    restarts: (name, exit) => live && !leftDown.has(name) && restartsOf(name, exit),
  };
}
