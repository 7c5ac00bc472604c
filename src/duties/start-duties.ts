/**
 * The duties: everything that keeps running services alive, wired once and used by both
 * holders of the duties — a foreground `uiprocs watch` and the detached supervisor
 * (src/supervisor). Today that is the liveness loop (duties/liveness-loop.ts: observe every
 * second, restart by policy with backoff and `max_restarts`) and log rotation while they
 * run; health checks plug in here beside the liveness loop (a second loop started and
 * stopped with it, paused with it around reconciles).
 *
 * What a restart is, for both holders: the same converge `up` runs (`up <name>`), under the
 * state lock, with a guard checked under that lock — the service is not marked stopped
 * (`down web` in another terminal wins) and the caller still holds the duties (a live watch
 * record beats the supervisor; see docs/DESIGN.md, "The supervisor") — and the new record
 * counts one restart more. The caller spawns the new process, so it is its parent and
 * learns its exit code (noteExits + childExitWithin).
 */
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import {
  type Desired,
  isTask,
  type LogSpec,
  type Result,
  type RunRecord,
  type ServiceExit,
} from '../core/model.js';
import type { Renderer } from '../core/renderer.js';
import { RestartLedger } from '../core/restart-ledger.js';
import { type BackoffConfig, DEFAULT_BACKOFF } from '../core/restart-policy.js';
import type { ConvergeReport } from '../engine/converge.js';
import { memoryLimitNote } from '../engine/limits-view.js';
import { childExitWithin } from '../runtime/spawn.js';
import type { System } from '../runtime/system.js';
import { noteExits } from '../state/exits.js';
import { type RunDirLook, runDirObserver } from '../state/run-dir.js';
import { wasStopped } from '../state/stop-marker.js';
import type { Duty, DutyLoader } from './duty.js';
import type { HealthChecks } from './health-checks.js';
import { type LivenessEvent, LivenessLoop, type ServiceLiveness } from './liveness-loop.js';
import { logRotator } from './log-rotation.js';
import { startLogStamps } from './log-stamps.js';
import type { MemoryWatch } from './memory-watch.js';

export interface DutiesDeps {
  system: System;
  clock?: Clock;
  /** Who acts, for the lock's holder line and exit records: `uiprocs watch`, `uiprocs supervisor`. */
  command: string;
  /** The desired state as it is now (a manifest edit, or a newer `up`, replaces it). */
  desired: () => Desired;
  /** The services to keep alive, by name. */
  managed: () => string[];
  /**
   * Start `name` again: the converge of `up <name>`, which must call `guard` under the lock
   * (ConvergeRequest.guard) and count the restart (countRestarts).
   */
  startAgain: (name: string, guard: () => Promise<boolean>, cause: string) => Promise<Result<ConvergeReport>>;
  /** Checked under the lock before every restart: false = another loop holds the duties now. */
  holdsDuties?: () => boolean;
  /** One line for the person (watch: stderr; the supervisor: its log, time-stamped). */
  say: (line: string) => void;
  intervalMs?: number;
  backoff?: Partial<BackoffConfig>;
  /** How often the running services' logs are checked against their max_size; default every tick. */
  rotateEveryMs?: number;
  /** Reuse the run dir's listing while it is unchanged (state/run-dir.ts); the supervisor does. */
  cachedLook?: boolean;
  /**
   * The caller's environment, for health checks' command probes; set to run the health
   * checks (duties/health-checks.ts) beside the liveness loop, loaded only once a managed
   * service has a `healthcheck`.
   */
  healthEnv?: Record<string, string | undefined>;
  /** Health restarts' action lines (watch); the supervisor logs only the cause. */
  renderer?: () => Promise<Renderer>;
  /**
   * The manifest's dashboard (dashboard/duty.ts), handed in by the host so the duties never
   * import the dashboard; called once the manifest asks for one.
   */
  dashboard?: DutyLoader;
  /**
   * Say `tick N` after every liveness tick (UIPROCS_TRACE_TICKS=1): what a test waits for
   * to know "several ticks passed and nothing happened", instead of sleeping.
   */
  traceTicks?: boolean;
  /** After every tick, with what it saw: the supervisor's exit checks. */
  afterTick?: (look: RunDirLook, liveness: LivenessLoop) => Promise<void> | void;
}

export interface Duties {
  readonly liveness: LivenessLoop;
  start(): void;
  /** Waits for a tick or restart in flight. */
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): void;
}

export function startDuties(deps: DutiesDeps): Duties {
  const clock = deps.clock ?? systemClock;
  // Every running service's log, stamped with time as it grows (log-stamps.ts): what `logs -t` reads.
  const stamps = startLogStamps({ running: () => runningRecords() });
  const rotateLogs = logRotator({ system: deps.system, clock, warn: deps.say, stamps });
  const look = runDirObserver(deps.system, { cached: deps.cachedLook === true });
  const rotateEveryMs = deps.rotateEveryMs ?? 0;
  let rotatedAt = Number.NEGATIVE_INFINITY;
  let last: RunDirLook = { kind: 'gone' };
  let ticks = 0;

  // One record of restarts in a row, by cause, for every duty that restarts (core/restart-ledger.ts).
  const ledger = new RestartLedger({ ...DEFAULT_BACKOFF, ...deps.backoff });
  const liveness: LivenessLoop = new LivenessLoop({
    intervalMs: deps.intervalMs,
    ledger,
    // A one-shot task is not kept alive: its exit is its end (isTask in core/model.ts), not a crash.
    policyOf: (name) => {
      const desired = deps.desired();
      const s = desired.services[name];
      return s && !isTask(desired, name)
        ? { name, restart: s.restart, maxRestarts: s.maxRestarts }
        : undefined;
    },
    observe: async () => {
      const desired = deps.desired();
      const out = new Map<string, ServiceLiveness>();
      last = look.look(desired.stateDir);
      if (last.kind === 'gone') {
        for (const name of deps.managed()) out.set(name, { status: 'absent' });
        return out;
      }
      // A death is recorded in its run record (`ps` shows `exited (3)`), with the code when
      // this process started the service (it is its parent).
      const seen = await noteExits(desired.stateDir, last.observed, {
        system: deps.system,
        command: deps.command,
        exitOf: (pid) => childExitWithin(pid),
      });
      for (const name of deps.managed()) {
        const obs = seen.services[name];
        if (obs?.status === 'running') out.set(name, { status: 'running' });
        else if (last.stopped.has(name)) out.set(name, { status: 'stopped' });
        // The exit code is known when this process started the service (it is its parent),
        // so `restart: on-failure` can leave a clean exit alone; otherwise it is unknown,
        // which counts as a failure.
        else if (obs?.status === 'stale') {
          const exit = await exitOf(obs.record);
          out.set(name, { status: 'dead', exitCode: exit?.code ?? null, cause: exitCause(exit) });
        } else out.set(name, { status: 'absent' });
      }
      // Keep the running services' logs under their max_size (log-rotation.ts): a stat per
      // log, so not necessarily every tick.
      const now = clock.now();
      if (now - rotatedAt >= rotateEveryMs) {
        rotatedAt = now;
        const running = [...out].filter(([, l]) => l.status === 'running').map(([name]) => name);
        await rotateLogs(
          desired.stateDir,
          running.flatMap((name): LogSpec[] => {
            const log = desired.services[name]?.log;
            return log ? [log] : [];
          }),
        );
      }
      return out;
    },
    restart: async (name, { cause }) => {
      const guard = async () => (deps.holdsDuties?.() ?? true) && !wasStopped(deps.desired().stateDir, name);
      const result = await deps.startAgain(name, guard, cause);
      if (!result.ok) throw new Error(result.error.reason);
      // The guard said no (stopped on purpose, or the duties moved), or it was found running.
      if (!result.value.started.some((r) => r.name === name)) return 'skipped';
    },
    onEvent: (e) => {
      // A death in a memory cgroup that counted an OOM kill: the kernel held the limit.
      const o = e.type === 'crashed' && last.kind !== 'gone' ? last.observed.services[e.name] : undefined;
      const hit = o !== undefined && o.status !== 'absent' ? memoryLimitNote(o.record.place) : undefined;
      const line = hit === undefined ? describeLiveness(e) : `${describeLiveness(e)}: it ${hit}`;
      // Left down: the record says so before the line does (ps: exited, not restarting), and
      // what is left of it (workers of a dead master) is stopped (stop-remains.ts).
      if (e.type === 'left-down' || e.type === 'gave-up') leaveDown(e.name, line);
      else deps.say(line);
    },
    afterTick: () => {
      if (deps.traceTicks) deps.say(`tick ${++ticks}`);
      startHealth();
      startMemoryWatch();
      stamps.sync();
      syncSourceWatch();
      syncDashboard();
      return deps.afterTick?.(last, liveness);
    },
  });

  let remains: Promise<void> = Promise.resolve();
  const leaveDown = (name: string, line: string) => {
    const spec = deps.desired().services[name];
    remains = remains
      .then(async () => {
        const { stopRemains } = await import('./stop-remains.js');
        const r = await stopRemains({
          stateDir: deps.desired().stateDir,
          name,
          system: deps.system,
          command: deps.command,
          why: line,
          stopSignal: spec?.stopSignal,
          stopTimeoutMs: spec?.stopTimeout,
        });
        deps.say(line);
        if (!r.ok)
          deps.say('message' in r.error ? r.error.message : `${name}: could not stop what is left of it`);
        else if (r.value > 0)
          deps.say(`${name}: stopped what was left of it (${r.value} process${r.value === 1 ? '' : 'es'})`);
      })
      .catch((error: unknown) =>
        deps.say(`${line}\n${name}: could not stop what is left of it: ${String(error)}`),
      );
  };

  // The manifest's dashboard (deps.dashboard), started once the manifest asks for one.
  let dashboard: Promise<Duty> | undefined;
  const syncDashboard = () => {
    if (stopped) return;
    if (dashboard === undefined) {
      if (deps.desired().dashboard === undefined || deps.dashboard === undefined) return;
      dashboard = deps.dashboard({
        desired: deps.desired,
        system: deps.system,
        env: deps.healthEnv ?? process.env,
        say: deps.say,
      });
    }
    void dashboard.then((d) => d.sync());
  };

  // The memory watchdog (memory-watch.ts), loaded once a managed service runs whose memory
  // limit no cgroup holds (its record says `watched`).
  let memory: Promise<MemoryWatch> | undefined;
  const startMemoryWatch = () => {
    if (memory !== undefined || stopped || last.kind === 'gone') return;
    const managed = new Set(deps.managed());
    const watched = Object.values(last.observed.services).some(
      (o) => o.status === 'running' && managed.has(o.name) && o.record.place?.enforced.memory === 'watched',
    );
    if (!watched) return;
    memory = import('./memory-watch.js').then((m) =>
      m.startMemoryWatch({
        desired: deps.desired,
        managed: deps.managed,
        system: deps.system,
        env: deps.healthEnv ?? process.env,
        say: deps.say,
        liveness,
        renderer: deps.renderer,
        holdsDuties: deps.holdsDuties,
        ledger,
      }),
    );
  };

  // Restarts on source changes (source-watch.ts), loaded once a managed service with `watch:` runs.
  let sources: Promise<Duty> | undefined;
  const runningRecords = (): Map<string, RunRecord> => {
    const out = new Map<string, RunRecord>();
    if (last.kind === 'gone') return out;
    for (const o of Object.values(last.observed.services))
      if (o.status === 'running') out.set(o.name, o.record);
    return out;
  };
  const syncSourceWatch = () => {
    if (stopped) return;
    if (sources === undefined) {
      const desired = deps.desired();
      if (!deps.managed().some((n) => desired.services[n]?.watch !== undefined)) return;
      sources = import('./source-watch.js').then((m) =>
        m.startSourceWatch({
          desired: deps.desired,
          managed: deps.managed,
          running: runningRecords,
          system: deps.system,
          env: deps.healthEnv ?? process.env,
          say: deps.say,
          liveness,
          renderer: deps.renderer,
          holdsDuties: deps.holdsDuties,
        }),
      );
    }
    void sources.then((d) => d.sync());
  };

  let health: Promise<HealthChecks> | undefined;
  let stopped = false;
  const startHealth = () => {
    const env = deps.healthEnv;
    if (env === undefined || health !== undefined || stopped) return;
    const desired = deps.desired();
    if (!deps.managed().some((n) => desired.services[n]?.health !== undefined)) return;
    health = import('./health-checks.js').then(({ startHealthChecks }) =>
      startHealthChecks({
        desired: deps.desired,
        managed: deps.managed,
        system: deps.system,
        env,
        say: deps.say,
        liveness,
        renderer: deps.renderer,
        holdsDuties: deps.holdsDuties,
        syncMs: deps.intervalMs,
        ledger,
      }),
    );
  };

  return {
    liveness,
    start: () => {
      liveness.start();
      startHealth();
    },
    stop: async () => {
      stopped = true;
      await (await health)?.stop();
      await (await memory)?.stop();
      await (await sources)?.stop();
      await stamps.stop();
      await (await dashboard)?.stop();
      await liveness.stop();
      await remains;
    },
    pause: () => liveness.pause(),
    resume: () => liveness.resume(),
  };
}

export function describeLiveness(e: LivenessEvent): string {
  switch (e.type) {
    case 'crashed':
      // Its own child's signal is known (SIGKILL); a code is known only to its parent.
      return `${e.name} died (${e.cause.startsWith('SIG') ? e.cause : `exit code ${e.exitCode ?? 'unknown'}`})`;
    case 'restarting':
      return `${e.name}: restart ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`;
    case 'restarted':
      return `${e.name} restarted (attempt ${e.attempt})`;
    case 'restart-failed':
      return `${e.name}: restart ${e.attempt} failed`;
    case 'left-down':
      return `${e.name} stays down: ${e.why}`;
    case 'gave-up':
      return e.message;
    case 'stopped-on-purpose':
      return `${e.name} was stopped on purpose; not restarting it`;
    case 'observe-failed':
      return `could not observe the services: ${String(e.error)}`;
  }
}

/**
 * How a service's process ended, or undefined: this process knows it when it spawned the
 * service (it is its parent: the supervisor for every service it restarted); else its
 * record may (another holder was its parent, and recorded it).
 */
async function exitOf(record: RunRecord): Promise<ServiceExit | undefined> {
  return (await childExitWithin(record.pid)) ?? record.exit;
}

/** `exited (3)`, `SIGKILL`, or `exited (code unknown)`: a restart's cause, as ps shows it. */
export function exitCause(exit: ServiceExit | undefined): string {
  if (exit?.signal) return exit.signal;
  if (exit?.code !== null && exit?.code !== undefined) return `exited (${exit.code})`;
  return 'exited (code unknown)';
}
