/**
 * The executor's side effects for one converge: how a service is really started,
 * waited for, stopped and forgotten. Each effect checks its own preconditions (a free
 * port, a writable log) and turns every outcome into a Result with a message for the
 * renderer; none decides *whether* to act — the plan did.
 */
import type { Clock } from '../core/clock.js';
import { describeExit, exitKnown } from '../core/exit.js';
import { formatMs } from '../core/format.js';
import { configHash, shapeOf } from '../core/hash.js';
import { describeLimits } from '../core/limits-text.js';
import {
  type Desired,
  fail,
  isTask,
  type Observed,
  ok,
  type RecordedPlace,
  type Result,
  type RunRecord,
  type ServiceExit,
} from '../core/model.js';
import { type StopSettings, stopSettings } from '../core/stop-settings.js';
import { createListenRounds } from '../runtime/listen-rounds.js';
import { cgroupMembers } from '../runtime/place/members.js';
import type { ProcessSnapshot } from '../runtime/service-processes.js';
import type { SpawnedService } from '../runtime/spawn.js';
import {
  createSweeper,
  findServiceProcesses,
  stopService,
  taggedIn,
  taggedProcesses,
} from '../runtime/stop.js';
import { isLive, type System } from '../runtime/system.js';
import { recordExit, unknownExit } from '../state/exits.js';
import { rememberPort } from '../state/port-memory.js';
import { clearStopped, markStopped } from '../state/stop-marker.js';
import { removeRecord, writeRecord } from '../state/store.js';
import type { Effects } from './executor.js';
import { portChooser } from './port-choice.js';

export interface EffectsInput {
  desired: Desired;
  observed: Observed;
  projectId: string;
  system: System;
  clock: Clock;
  baseEnv: Record<string, string | undefined>;
  /** `down --timeout`: overrides every service's stop_timeout. */
  stopTimeoutMs?: number;
  /** Aborted by a second Ctrl-C: stops skip the rest of their grace period. */
  force?: AbortSignal;
  /** Called once a service is spawned, with what the summary needs. */
  onStarted?: (record: RunRecord) => void;
  /** Services started as a liveness restart: `restarts` = the previous record's + 1. */
  countRestarts?: readonly string[];
  /** Why those restarts happened (`exited (3)`, `SIGKILL`, `unhealthy: …`): their records' lastRestart. */
  restartCause?: string;
  /** `down`: the /proc snapshot its search for leftovers took; the stops' first look (see StopOptions.firstLook). */
  seen?: ProcessSnapshot;
}

/** The stop settings of `name` (core/stop-settings.ts): manifest, else its record, else the defaults. */
function stopSettingsOf(input: EffectsInput, name: string): StopSettings {
  const obs = input.observed.services[name];
  const record = obs !== undefined && obs.status !== 'absent' ? obs.record : undefined;
  return stopSettings(input.desired.services[name], record, input.stopTimeoutMs);
}

/** A stopped service's cgroup directories go with it (loaded only for a service that had a place). */
async function releasePlace(place: RecordedPlace | undefined): Promise<void> {
  if (place === undefined || place.cgroups.length === 0) return;
  const { removeCgroups } = await import('../runtime/place/cgroups.js');
  removeCgroups(place);
}

export function makeEffects(input: EffectsInput): Effects {
  const { desired, observed, system, clock, projectId } = input;
  const spawned = new Map<string, SpawnedService>();
  /** The records this converge wrote, by name: a failed start adds its exit to it. */
  const written = new Map<string, RunRecord>();
  let tagged: Map<string, unknown> | undefined;
  /** Stops running in parallel share their looks at /proc (see createSweeper). */
  const sweep = createSweeper(system, projectId);
  /** So do the port checks and ready waits at the socket table: one read per round (listen-rounds.ts). */
  const listen = createListenRounds(system, clock);

  /** `port: auto` and fixed ports, chosen for this converge's starts (port-choice.ts). */
  const choosePort = portChooser({ desired, observed, system, listen, env: input.baseEnv });

  const stop: Effects['stop'] = async (name) => {
    const obs = observed.services[name];
    if (obs === undefined || obs.status !== 'running') return ok({ message: 'not running' });
    const { signal, timeoutMs } = stopSettingsOf(input, name);
    const report = await stopService(
      {
        pid: obs.record.pid,
        pgid: obs.record.pgid,
        projectId,
        service: name,
        startTime: obs.record.startTime,
        place: obs.record.place,
      },
      { signal, timeoutMs, system, clock, force: input.force, sweep, firstLook: input.seen },
    );
    if (report.survivors.length > 0) {
      const who = report.survivors.map((p) => `pid ${p.pid} (${p.command})`).join(', ');
      return fail({ reason: 'service-failed', message: `${name} could not be stopped: ${who} still alive` });
    }
    await releasePlace(obs.record.place);
    const removed = removeRecord(desired.stateDir, name);
    if (!removed.ok) return removed;
    const killed = report.killed.map((p) => `pid ${p.pid} ignored ${signal}`).join(', ');
    return ok({
      message: `stopped in ${formatMs(report.durationMs)}${killed ? ` (${killed}; killed)` : ''}`,
    });
  };

  /**
   * Processes that carry this service's tag but no believed record: a leader died and a
   * child lived on, or a CLI was killed between spawn and writing the record. They were
   * started by us (the tag says so), so they are stopped — by tag alone, since no record
   * vouches for a PID or group — before anything new is started in their place.
   */
  async function stopLeftovers(name: string): Promise<Result<number>> {
    // One /proc sweep per converge finds every tagged process; only services that have
    // some pay for a second, exact look.
    // A stale record's cgroup still lists exactly what is left of it.
    const stale = observed.services[name];
    const place = stale?.status === 'stale' ? stale.record.place : undefined;
    tagged ??= input.seen ? taggedIn(input.seen) : taggedProcesses(system, projectId);
    if (!tagged.has(name) && !(cgroupMembers(place)?.length ?? 0)) return ok(0);
    const leftovers = findServiceProcesses(system, { projectId, service: name, place });
    if (leftovers.length === 0) return ok(0);
    const { signal, timeoutMs } = stopSettingsOf(input, name);
    const report = await stopService(
      { pid: 0, pgid: 0, projectId, service: name, place },
      { signal, timeoutMs, system, clock, sweep },
    );
    if (report.survivors.length > 0) {
      const who = report.survivors.map((p) => `pid ${p.pid} (${p.command})`).join(', ');
      return fail({
        reason: 'service-failed',
        message: `${name}: leftover processes could not be stopped: ${who}`,
      });
    }
    return ok(leftovers.length);
  }

  /**
   * The stop marker tells a running `watch` this stop is on purpose, not a crash to repair;
   * also for a crashed service whose stale record a `down` removes, so a restart of it
   * already pending in watch is called off.
   */
  const prepareStop: Effects['prepareStop'] = (name) => markStopped(desired.stateDir, name);

  const removeStale: Effects['removeStale'] = async (name) => {
    const stopped = await stopLeftovers(name);
    if (!stopped.ok) return stopped;
    const stale = observed.services[name];
    if (stale?.status === 'stale') await releasePlace(stale.record.place);
    const removed = removeRecord(desired.stateDir, name);
    if (!removed.ok) return removed;
    const n = stopped.value;
    return ok({
      message: `forgot stale record${n > 0 ? ` and stopped ${n} leftover process${n === 1 ? '' : 'es'}` : ''}`,
    });
  };

  const start: Effects['start'] = async (name) => {
    const spec = desired.services[name]!;
    // The start side is loaded only by a converge that starts something: `down` and a
    // no-op `up` never pay for spawning, ports and log rotation.
    const { ensureLogWritable, rotateIfNeeded } = await import('../logs/rotate.js');
    const { spawnService } = await import('../runtime/spawn.js');
    const writable = ensureLogWritable(spec.log);
    if (!writable.ok) return writable;
    const leftovers = await stopLeftovers(name);
    if (!leftovers.ok) return leftovers;
    await rotateIfNeeded(spec.log);
    const port = await choosePort(name);
    if (!port.ok) return port;
    clearStopped(desired.stateDir, name);
    const result = await spawnService(
      {
        spec,
        port: port.value.port,
        projectId,
        project: desired.project,
        baseEnv: input.baseEnv,
        // A task's runs share its log: each starts with a line that says so.
        banner: isTask(desired, name)
          ? `── uiprocs: task ${name}, run at ${new Date().toISOString()} ──`
          : undefined,
      },
      { system, clock },
    );
    if (!result.ok) return result;
    const s = result.value;
    spawned.set(name, s);
    const previous = observed.services[name];
    const shape = shapeOf(spec);
    const record: RunRecord = {
      version: 1,
      name,
      project: projectId,
      pid: s.pid,
      pgid: s.pgid,
      sid: s.sid,
      startTime: s.startTime,
      bootId: s.bootId,
      configHash: configHash(shape),
      shape,
      port: s.port,
      command: spec.command,
      cwd: spec.cwd,
      logPath: spec.log.path,
      startedAt: s.startedAt,
      restarts:
        (previous && previous.status !== 'absent' ? previous.record.restarts : 0) +
        (input.countRestarts?.includes(name) ? 1 : 0),
      stopSignal: spec.stopSignal,
      stopTimeout: spec.stopTimeout,
      ...(s.place !== undefined ? { place: s.place } : {}),
      ...(isTask(desired, name) ? { task: true as const } : {}),
      // A restart (liveness, health, memory) says why; an `up` or a `restart` by hand does
      // not count as one. An earlier restart's cause stays until the next.
      ...(input.countRestarts?.includes(name)
        ? { lastRestart: { at: s.startedAt, cause: input.restartCause ?? 'restarted' } }
        : previous && previous.status !== 'absent' && previous.record.lastRestart
          ? { lastRestart: previous.record.lastRestart }
          : {}),
    };
    const saved = writeRecord(desired.stateDir, record);
    if (!saved.ok) {
      // Without a record nothing would ever find this process again (down says "nothing is
      // running" while it holds the port): stop what was just started before failing.
      spawned.delete(name);
      await stopService(
        { pid: s.pid, pgid: s.pgid, projectId, service: name, place: s.place },
        { signal: spec.stopSignal, timeoutMs: Math.min(spec.stopTimeout, 2000), system, clock, sweep },
      );
      return saved;
    }
    written.set(name, record);
    if (spec.port === 'auto' && s.port !== null && s.port !== port.value.remembered)
      rememberPort(desired.stateDir, name, s.port);
    input.onStarted?.(record);
    const moved = port.value.moved !== undefined ? `, a new port: ${port.value.moved}` : '';
    const limits = s.place && `; limits: ${describeLimits(s.place.limits, s.place.kind, s.place.enforced)}`;
    return ok({
      message: `started pid ${s.pid}${s.port !== null ? ` on port ${s.port}${moved}` : ''}${limits ?? ''}`,
    });
  };

  const ready: Effects['waitReady'] = async (name) => {
    const spec = desired.services[name]!;
    const fresh = spawned.get(name);
    const obs = observed.services[name];
    // Started by this converge, or found running (confirmed, never stopped, if not ready).
    const proc = fresh ?? (obs?.status === 'running' ? { ...obs.record, logOffset: 0 } : undefined);
    if (proc === undefined) return fail({ reason: 'service-failed', message: `${name} is not running` });
    const alive = () => {
      const info = system.proc(proc.pid);
      return isLive(info) && info.startTime === proc.startTime;
    };
    const { waitReady } = await import('../probes/ready.js');
    // This process is the parent of what it spawned: it knows how that ended.
    const { childExitWithin } = await import('../runtime/spawn.js');
    const res = await waitReady(
      {
        ready: spec.ready,
        port: proc.port,
        pid: proc.pid,
        logPath: proc.logPath,
        logOffset: proc.logOffset,
        cwd: spec.cwd,
        exitOf: fresh && (() => childExitWithin(proc.pid)),
      },
      { system, clock, isAlive: alive, listen },
    );
    if (res.ok) return ok({ message: `ready in ${formatMs(res.value.ms)}` });
    if (fresh === undefined) return res;
    // A service that failed to become ready is stopped, so the next `up` tries afresh
    // instead of finding a half-started process it would leave alone. Its record stays,
    // stale, with how it ended: `ps` shows `exited (3)`, and watch's liveness loop sees a
    // crash to handle by the `restart` policy, carrying the restart count on.
    const notReady = alive();
    await stopService(
      { pid: proc.pid, pgid: fresh.pgid, projectId, service: name, place: fresh.place },
      { signal: spec.stopSignal, timeoutMs: Math.min(spec.stopTimeout, 2000), system, clock, sweep },
    );
    const record = written.get(name);
    if (record !== undefined) {
      const exit = (await childExitWithin(proc.pid)) ?? unknownExit();
      recordExit(
        desired.stateDir,
        record,
        notReady ? { ...exit, cause: 'stopped by uiprocs: not ready in time' } : exit,
      );
    }
    return res;
  };

  /**
   * A one-shot task (isTask in core/model.ts): wait for it to exit, with no timeout (a build or a
   * model download takes as long as it takes; Ctrl-C ends `up`). This process spawned it,
   * so Node reports the code; a task found running (an `up` killed while it ran) is only
   * seen gone, with the code unknown, which counts as a failure and runs it again next
   * time. Whatever it left behind in its group or with its tag is stopped (as a container's
   * processes end with it), and its record stays, stale, with how it ended: that is what
   * tells the next `up` it completed, and with which config.
   */
  const completed: NonNullable<Effects['waitCompleted']> = async (name) => {
    const spec = desired.services[name]!;
    const fresh = spawned.get(name);
    const obs = observed.services[name];
    const proc = fresh ?? (obs?.status === 'running' ? obs.record : undefined);
    const record = written.get(name) ?? (obs?.status === 'running' ? obs.record : undefined);
    if (proc === undefined || record === undefined)
      return fail({ reason: 'service-failed', message: `${name} is not running` });
    const began = clock.now();
    const { childExit } = await import('../runtime/spawn.js');
    const own = fresh && childExit(proc.pid);
    let exit: ServiceExit;
    if (own !== undefined) {
      // The child is unref'd (a CLI that exits must not wait for its services): hold the
      // event loop open until the report of its exit arrives.
      const hold = setInterval(() => {}, 60_000);
      try {
        exit = await own;
      } finally {
        clearInterval(hold);
      }
    } else {
      while (isLive(system.proc(proc.pid)) && system.proc(proc.pid)?.startTime === proc.startTime)
        await clock.sleep(100);
      exit = unknownExit();
    }
    await stopService(
      {
        pid: proc.pid,
        pgid: proc.pgid,
        projectId,
        service: name,
        startTime: proc.startTime,
        place: proc.place,
      },
      { signal: spec.stopSignal, timeoutMs: Math.min(spec.stopTimeout, 2000), system, clock, sweep },
    );
    const saved = recordExit(desired.stateDir, record, exit);
    if (!saved.ok) return saved;
    const took = formatMs(clock.now() - began);
    if (exit.code === 0) return ok({ message: `completed in ${took} (exit 0)` });
    const { tailLines } = await import('../logs/tail-file.js');
    const known = exitKnown(exit)
      ? ''
      : ': the uiprocs that started it is gone, so the next up runs it again';
    return fail({
      reason: 'service-failed',
      message: `task ${describeExit(exit)} after ${took} (pid ${proc.pid}${known}); its dependents were not started; last lines of ${spec.log.path}:`,
      // This run's lines only, not an earlier run's.
      details: await tailLines(spec.log.path, 20, 'logOffset' in proc ? proc.logOffset : 0),
    });
  };

  return { prepareStop, stop, removeStale, start, waitReady: ready, waitCompleted: completed };
}
