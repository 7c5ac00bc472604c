/**
 * The rows the events stream looks at every second, without doing a whole `ps` every
 * second: a full gather (the process table, the tag sweep, the socket table, the CPU
 * sample: ~12 ms for 50 services) runs when a cheap look says something changed, while
 * some service is still starting, or every {@link FULL_LOOK_MS} for the CPU and memory
 * figures. The cheap look is the supervisor's (state/run-dir.ts): one `stat` of `run/`
 * and one `/proc/<pid>/stat` read per record, so a start, a stop, a restart or a death
 * still reaches the page within the second.
 *
 * Only the events stream uses it; `GET /api/services` always gathers afresh.
 */

import type { Desired } from '../core/model.js';
import type { StatusRow } from '../engine/status.js';
import type { System } from '../runtime/system.js';
import { runDirObserver } from '../state/run-dir.js';

/** How stale the CPU and memory figures of an unchanged project may get. */
export const FULL_LOOK_MS = 3000;

export function liveRows(
  system: System,
  gather: (desired: Desired) => Promise<StatusRow[]>,
  now: () => number = Date.now,
): (desired: Desired) => Promise<StatusRow[]> {
  const observer = runDirObserver(system, { cached: true });
  let last: { sig: string; at: number; rows: StatusRow[]; stateDir: string } | undefined;
  return async (desired) => {
    const look = observer.look(desired.stateDir);
    // The manifest's services too: an edit adds or removes rows without touching run/.
    const names = Object.keys(desired.services).join(',');
    const sig =
      look.kind === 'gone'
        ? `${names}|gone`
        : `${names}|${Object.values(look.observed.services)
            .map(
              (o) =>
                `${o.name}:${o.status}:${o.status === 'absent' ? '' : `${o.record.pid}:${o.record.restarts}`}`,
            )
            .join(',')}|${[...look.stopped].join(',')}`;
    const settling = last?.rows.some((r) => r.status === 'starting' || r.health === 'starting') ?? true;
    if (
      last !== undefined &&
      last.stateDir === desired.stateDir &&
      last.sig === sig &&
      !settling &&
      now() - last.at < FULL_LOOK_MS
    )
      return last.rows;
    const rows = await gather(desired);
    last = { sig, at: now(), rows, stateDir: desired.stateDir };
    return rows;
  };
}
