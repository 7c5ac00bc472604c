/**
 * The memory watchdog, for services whose `memory` limit no cgroup can hold (their record
 * says `watched`: macOS, containers, locked-down hosts, or UIPROCS_PLACE=none). Run by
 * whoever holds the duties (the supervisor, or a foreground watch), beside the liveness
 * loop (duties/start-duties.ts):
 *
 * - every 2 s, one /proc snapshot; for each such running service, the RSS sum over its
 *   processes (the same processes `ps` sums: runtime/usage.ts);
 * - over the limit: restarted through the guarded converge (guarded-restart.ts) with the
 *   cause `memory 612 MB > limit 512 MB`, or, with `restart: no`, stopped (a `down` of it,
 *   so the liveness loop leaves it down); after `max_restarts` memory restarts in a row it
 *   is stopped too, and says so. The streak (core/restart-ledger.ts, cause `memory`) resets
 *   once a process of it has run a minute under its limit.
 *
 * pm2's `max_memory_restart` is the same idea (its check runs every 30 s); cgroups are
 * better where they can be had, since the kernel acts at once and nothing can outgrow them.
 */

import { formatBytes } from '../core/format.js';
import { processKey } from '../core/identity.js';
import type { Desired, RunRecord } from '../core/model.js';
import { RestartLedger } from '../core/restart-ledger.js';
import { type Scheduler, systemScheduler, type TimerId } from '../core/scheduler.js';
import { usageProcesses, usageSnapshot } from '../runtime/usage.js';
import { observe } from '../state/observe.js';
import type { Duty } from './duty.js';
import { type GuardedRestartDeps, guardedRestart } from './guarded-restart.js';

export const MEMORY_WATCH_MS = 2000;

export interface MemoryWatchInput extends GuardedRestartDeps {
  managed: () => readonly string[];
  intervalMs?: number;
  /** The streaks of restarts in a row, shared with the other duties (start-duties.ts); default its own. */
  ledger?: RestartLedger;
  scheduler?: Scheduler;
  /** Wall-clock ms (a record's `startedAt` is wall-clock); tests pass their own. */
  now?: () => number;
}

/** A duty (duty.ts) that keeps its own pace (every 2 s): `sync` has nothing to add to it. */
export type MemoryWatch = Duty;

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
  /** Memory restarts in a row, per service (core/restart-ledger.ts, cause `memory`). */
  const ledger = input.ledger ?? new RestartLedger();
  const scheduler = input.scheduler ?? systemScheduler();
  const now = input.now ?? Date.now;
  let stopped = false;
  let timer: TimerId | undefined;
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
        // Under its limit since it started: a minute of that ends the streak.
        ledger.fine(record.name, 'memory', now(), Date.parse(record.startedAt));
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
    const target = { name: record.name, key: processKey(record) };
    const decision = ledger.decide(
      record.name,
      'memory',
      { name: record.name, restart: spec.restart, maxRestarts: spec.maxRestarts },
      { code: null },
      now(),
    );
    // Over the limit and not restarted (restart: no, or given up): stopped, so it cannot grow on.
    const stop = decision.action !== 'restart';
    const done = ledger.restarts(record.name, 'memory');
    const why =
      spec.restart === 'no'
        ? 'restart: no, so it is stopped'
        : stop
          ? `${done} memory restarts in a row (max_restarts: ${spec.maxRestarts}), so it is stopped`
          : `restarting it (memory restart ${done})`;
    input.say(`${record.name} is over its memory limit: ${cause}; ${why}`);
    const result = await guardedRestart(target, cause, input, { stop });
    if (decision.action === 'restart' && result.kind !== 'restarted')
      ledger.undo(record.name, 'memory', decision.attempt);
    if (result.kind === 'skipped')
      input.say(
        `${record.name}: not ${stop ? 'stopped' : 'restarted'} after all (stopped, or started again, meanwhile)`,
      );
    if (result.kind !== 'restarted') return;
    if (stop) {
      input.say(`${record.name} stopped, cause: ${cause}`);
      return;
    }
    input.say(`${record.name} restarted (pid ${result.pid}), cause: ${cause}`);
  };

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    acting = check()
      .catch((error: unknown) => input.say(`memory watch: ${String(error)}`))
      .finally(() => {
        if (!stopped) timer = scheduler.setTimer(interval, tick);
      });
  };
  timer = scheduler.setTimer(0, tick);

  return {
    sync() {},
    async stop() {
      stopped = true;
      if (timer !== undefined) scheduler.clearTimer(timer);
      await acting;
    },
  };
}
