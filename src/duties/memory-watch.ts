/**
 * The memory watchdog, for services whose `memory` limit no cgroup can hold (their record
 * says `watched`: macOS, containers, locked-down hosts, or UIPROCS_PLACE=none). Run by
 * whoever holds the duties (the supervisor, or a foreground watch), beside the liveness
 * loop (keep-alive.ts):
 *
 * - every 2 s, one /proc snapshot; for each such running service, the RSS sum over its
 *   processes (the same processes `ps` sums: runtime/usage.ts);
 * - over the limit: restarted through the guarded converge (guarded-restart.ts) with the
 *   cause `memory 612 MB > limit 512 MB`, or, with `restart: no`, stopped (a `down` of it,
 *   so the liveness loop leaves it down); after `max_restarts` memory restarts in a row it
 *   is stopped too, and says so. The streak resets once a process of it has run a minute
 *   under its limit.
 *
 * pm2's `max_memory_restart` is the same idea (its check runs every 30 s); cgroups are
 * better where they can be had, since the kernel acts at once and nothing can outgrow them.
 */

import { formatBytes } from '../core/format.js';
import type { Desired, RunRecord } from '../core/model.js';
import { usageProcesses, usageSnapshot } from '../runtime/usage.js';
import { observe } from '../state/observe.js';
import { type GuardedRestartDeps, guardedRestart } from './guarded-restart.js';

export const MEMORY_WATCH_MS = 2000;
/** Under its limit this long, a process of the service ends its streak of memory restarts. */
const STREAK_RESET_MS = 60_000;

export interface MemoryWatchInput extends GuardedRestartDeps {
  managed: () => readonly string[];
  intervalMs?: number;
}

export interface MemoryWatch {
  stop(): Promise<void>;
}

/** The running records whose memory limit is watched, among `managed`. */
function watchedRecords(desired: Desired, managed: readonly string[], input: MemoryWatchInput): RunRecord[] {
  const seen = observe(desired.stateDir, input.system, { repair: false });
  const out: RunRecord[] = [];
  for (const name of managed) {
    const o = seen.services[name];
    if (o?.status === 'running' && o.record.place?.enforced.memory === 'watched') out.push(o.record);
  }
  return out;
}

export function startMemoryWatch(input: MemoryWatchInput): MemoryWatch {
  const interval = input.intervalMs ?? MEMORY_WATCH_MS;
  const streak = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let acting: Promise<void> = Promise.resolve();

  const check = async () => {
    const desired = input.desired();
    const records = watchedRecords(desired, input.managed(), input);
    if (records.length === 0) return;
    const snapshot = usageSnapshot(input.system, records[0]!.project, records);
    for (const record of records) {
      const limit = record.place!.limits.memory;
      if (limit === undefined) continue;
      const used = usageProcesses(snapshot, record).reduce((sum, p) => sum + (p.rssBytes ?? 0), 0);
      if (used <= limit) {
        if (Date.now() - Date.parse(record.startedAt) >= STREAK_RESET_MS) streak.delete(record.name);
        continue;
      }
      if (stopped) return;
      await act(record, used, limit);
    }
  };

  const act = async (record: RunRecord, used: number, limit: number) => {
    const spec = input.desired().services[record.name];
    if (spec === undefined) return;
    const cause = `memory ${formatBytes(used)} > limit ${formatBytes(limit)}`;
    const target = { name: record.name, key: `${record.pid}:${record.startTime}` };
    const done = streak.get(record.name) ?? 0;
    const stop = spec.restart === 'no' || done >= spec.maxRestarts;
    const why =
      spec.restart === 'no'
        ? 'restart: no, so it is stopped'
        : stop
          ? `${done} memory restarts in a row (max_restarts: ${spec.maxRestarts}), so it is stopped`
          : `restarting it (memory restart ${done + 1})`;
    input.say(`${record.name} is over its memory limit: ${cause}; ${why}`);
    const result = await guardedRestart(target, cause, input, { stop });
    if (result.kind === 'skipped')
      input.say(
        `${record.name}: not ${stop ? 'stopped' : 'restarted'} after all (stopped, or started again, meanwhile)`,
      );
    if (result.kind !== 'restarted') return;
    if (stop) {
      input.say(`${record.name} stopped, cause: ${cause}`);
      return;
    }
    streak.set(record.name, done + 1);
    input.say(`${record.name} restarted (pid ${result.pid}), cause: ${cause}`);
  };

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    acting = check()
      .catch((error: unknown) => input.say(`memory watch: ${String(error)}`))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, interval);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, 0);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await acting;
    },
  };
}
