/**
 * Health checks, a duty: started by duties/start-duties.ts for either host (the supervisor,
 * a foreground `watch`) once a managed service has a `healthcheck`:
 *
 * ```ts
 * const health = startHealthChecks({
 *   desired: () => desired, managed, system, env, say,   // what runs, how to tell it
 *   liveness,                                            // paused while a health restart runs
 *   renderer,                                            // optional: the restart's action lines
 * });
 * …
 * await health.stop();                                   // before liveness.stop()
 * ```
 *
 * What it does:
 * - Probes every running service (of `managed()`) that has a `healthcheck`, through the
 *   health loop (duties/health-loop.ts), each process tracked by its PID + start time.
 * - Writes each process's health to `run/<name>.health` (state/health-file.ts) on every
 *   change, and again every `refreshMs` as a heartbeat, so `ps` shows `running (healthy)`
 *   and never believes a file nobody keeps up. `stop()` removes the files it wrote.
 * - On `unhealthy`, with `restart: on-failure` or `always`, restarts the service through
 *   the same converge as everything else: command `restart`, targets [name], the cause in
 *   the plan (`unhealthy: GET /health → 500 (3 in a row)`), counted in the record's
 *   `restarts`, guarded under the lock so a `down` (stop marker) or another start in
 *   between is respected and only the process found unhealthy is recreated, with the
 *   liveness loop paused meanwhile so the kill is not taken for a crash. One health
 *   restart runs at a time.
 * - `max_restarts`: unhealthy restarts are one streak per service in the restart ledger
 *   (core/restart-ledger.ts, cause `unhealthy`), decided by the one restart policy and
 *   reset once a process of it has stayed healthy for `resetAfterMs` (60 s). A server that
 *   passes its first checks after each restart and fails again is still one streak. After
 *   `max_restarts` of them in a row the service is left running, unhealthy, and watch says
 *   so once. (Crash and memory restarts keep streaks of their own in the same ledger.)
 * - With `restart: no` the service stays up and unhealthy; watch says so.
 * - Until a process first passes its health check, it is its ready probe's to judge: the start
 *   period is at least `ready.timeout` (judgedAfterReady). A new process probed while `up` or a
 *   restart still waits for it to listen would otherwise be found unhealthy (connection
 *   refused, `retries` times) and restarted again before it could start: under CI load a
 *   200 ms interval restarted one five times in a row.
 */

import { existsSync } from 'node:fs';
import { type HealthState, unhealthyCause } from '../core/health.js';
import { keyParts, processKey } from '../core/identity.js';
import type { Desired, HealthSpec, Observed, ServiceSpec } from '../core/model.js';
import type { Renderer } from '../core/renderer.js';
import { RestartLedger } from '../core/restart-ledger.js';
import { DEFAULT_BACKOFF } from '../core/restart-policy.js';
import type { Scheduler } from '../core/scheduler.js';
import { healthAttempt } from '../probes/health-attempt.js';
import type { System } from '../runtime/system.js';
import type { HealthFile } from '../state/health-file.js';
import { removeHealthFile, writeHealthFile } from '../state/health-file-write.js';
import { observe } from '../state/observe.js';
import type { Duty } from './duty.js';
import { guardedRestart } from './guarded-restart.js';
import { type HealthEvent, HealthLoop, type HealthTarget } from './health-loop.js';

export interface HealthChecksInput {
  /** The latest desired state (a reconcile replaces it). */
  desired: () => Desired;
  /** The services this process looks after (watch's targets); default: all of desired. */
  managed?: () => readonly string[];
  system: System;
  /** The caller's environment: command probes run with it plus the service's env. */
  env: Record<string, string | undefined>;
  say: (line: string) => void;
  /** Held (pause/resume) while a health restart runs; the liveness loop. */
  liveness?: { pause(): Promise<void>; resume(): void };
  /** Shows the restart's actions as `up` shows them; without it only `say` lines. */
  renderer?: () => Promise<Renderer>;
  scheduler?: Scheduler;
  /** Checked under the lock before a health restart: false = another loop holds the duties. */
  holdsDuties?: () => boolean;
  /** How often what runs is read again (default 1000 ms). */
  syncMs?: number;
  /** Healthy this long ends a streak of unhealthy restarts; default the backoff's 60 s. */
  resetAfterMs?: number;
  /** The streaks of restarts in a row, shared with the other duties (start-duties.ts); default its own. */
  ledger?: RestartLedger;
  /** Wall-clock ms; tests pass their own. */
  now?: () => number;
}

/**
 * The health spec the loop uses for a service: its start period (core/health.ts: failures of a
 * process not yet healthy do not count) is at least its ready timeout, the time `up` and a
 * restart give it to come up. Once healthy, failures count at once, start period or not.
 */
function judgedAfterReady(spec: ServiceSpec): HealthSpec {
  const health = spec.health!;
  return { ...health, startPeriod: Math.max(health.startPeriod, spec.ready.timeout) };
}

/**
 * A duty (duty.ts): `sync` reads what runs now (after a tick or a converge) instead of at the
 * next sync; `stop` stops probing, waits for a restart in flight, removes the health files
 * it wrote.
 */
export type HealthChecks = Duty;

interface Written {
  file: HealthFile;
  at: number;
}

export function startHealthChecks(input: HealthChecksInput): HealthChecks {
  const written = new Map<string, Written>();
  const now = input.now ?? Date.now;
  /** Unhealthy restarts in a row, per service (core/restart-ledger.ts, cause `unhealthy`). */
  const ledger =
    input.ledger ??
    new RestartLedger({
      ...DEFAULT_BACKOFF,
      resetAfterMs: input.resetAfterMs ?? DEFAULT_BACKOFF.resetAfterMs,
    });
  let restarting: Promise<void> = Promise.resolve();
  let queued = new Set<string>();
  /** Per service, the process (key) a queued or running health restart replaces. */
  const replacing = new Map<string, string>();
  let stopped = false;

  const stateDir = () => input.desired().stateDir;
  /** Each process's port, from its record (where a `port: auto` one is resolved), by key. */
  const ports = new Map<string, number | null>();
  const portOf = (t: HealthTarget) => ports.get(t.key) ?? null;

  const targets = async (): Promise<HealthTarget[]> => {
    const desired = input.desired();
    const names = input.managed?.() ?? Object.keys(desired.services);
    const withHealth = names.filter((n) => desired.services[n]?.health !== undefined);
    if (withHealth.length === 0 || !existsSync(desired.stateDir)) return [];
    const seen: Observed = observe(desired.stateDir, input.system, { repair: false });
    const out: HealthTarget[] = [];
    for (const name of withHealth) {
      const obs = seen.services[name];
      if (obs?.status !== 'running') continue;
      const r = obs.record;
      if (!ports.has(processKey(r))) ports.set(processKey(r), r.port);
      out.push({
        name,
        key: processKey(r),
        spec: judgedAfterReady(desired.services[name]!),
        startedAt: Date.parse(r.startedAt),
      });
    }
    // A heartbeat for the files nobody changed lately.
    const now = Date.now();
    for (const t of out) {
      const w = written.get(t.name);
      if (w !== undefined && processKey(w.file) === t.key && now - w.at >= w.file.refreshMs)
        write({ ...w.file, updatedAt: new Date(now).toISOString() });
    }
    return out;
  };

  const probe = async (t: HealthTarget, timeoutMs: number) => {
    const desired = input.desired();
    const spec = desired.services[t.name];
    const { pid, startTime } = keyParts(t.key);
    const info = input.system.proc(Number(pid));
    if (spec === undefined || info === undefined || info.startTime !== startTime || info.state === 'Z')
      return 'gone' as const;
    const port = portOf(t);
    return healthAttempt(
      {
        check: t.spec.check,
        port,
        cwd: spec.cwd,
        env: { ...input.env, ...spec.env, ...(port === null ? {} : { PORT: String(port) }) },
      },
      timeoutMs,
    );
  };

  const write = (file: HealthFile) => {
    const r = writeHealthFile(stateDir(), file);
    if (r.ok) written.set(file.name, { file, at: Date.now() });
  };

  const onEvent = (e: HealthEvent) => {
    if (stopped) return;
    switch (e.type) {
      case 'targets-failed':
        input.say(`health checks: could not read what runs: ${String(e.error)}`);
        return;
      case 'forgotten':
        ports.delete(e.key);
        {
          const w = written.get(e.name);
          if (w !== undefined && processKey(w.file) === e.key) {
            removeHealthFile(stateDir(), e.name);
            written.delete(e.name);
          }
        }
        return;
      case 'changed':
        break;
    }
    const { target, state } = e;
    const { pid, startTime } = keyParts(target.key);
    write({
      version: 1,
      name: target.name,
      pid: Number(pid),
      startTime,
      status: state.status,
      failures: state.failures,
      lastFailure: state.lastFailure,
      updatedAt: new Date().toISOString(),
      refreshMs: Math.max(2000, 2 * target.spec.interval),
    });
    if (e.became === 'healthy') {
      ledger.fine(target.name, 'unhealthy', now());
      if (e.previous?.status === 'unhealthy') input.say(`${target.name} is healthy again`);
    }
    if (e.became === 'unhealthy') onUnhealthy(target, state);
  };

  const onUnhealthy = (target: HealthTarget, state: HealthState) => {
    const spec = input.desired().services[target.name];
    if (spec === undefined) return;
    const cause = unhealthyCause(state);
    if (spec.restart === 'no') {
      input.say(`${target.name} is ${cause}; restart: no, so it stays up`);
      return;
    }
    // The process a queued or running restart already replaces: nothing more to decide.
    if (replacing.get(target.name) === target.key) return;
    if (queued.has(target.name)) return;
    // Counted when it is decided, not when it ends: the new process can pass its first checks
    // and fail again before the restart's converge returns (under load it did), and its
    // unhealthy event must then be the next attempt, not this one again.
    const decision = ledger.decide(
      target.name,
      'unhealthy',
      { name: target.name, restart: spec.restart, maxRestarts: spec.maxRestarts },
      { code: null },
      now(),
    );
    if (decision.action === 'give-up') {
      const done = ledger.restarts(target.name, 'unhealthy');
      input.say(
        `${target.name} is ${cause}; not restarting it: ${done} unhealthy restart${done === 1 ? '' : 's'} in a row (max_restarts: ${spec.maxRestarts}); it stays up, unhealthy`,
      );
      return;
    }
    // Already given up (said once), until it has been healthy for resetAfterMs.
    if (decision.action !== 'restart') return;
    queued.add(target.name);
    replacing.set(target.name, target.key);
    restarting = restarting
      .then(() => restart(target, cause, decision.attempt))
      // A bug in one restart must not stop every later one (the chain would stay rejected).
      .catch((error: unknown) => input.say(`${target.name}: the unhealthy restart failed: ${String(error)}`));
  };

  const restart = async (target: HealthTarget, cause: string, attempt: number) => {
    queued.delete(target.name);
    if (stopped) return;
    input.say(`${target.name} is ${cause}; restarting it (unhealthy restart ${attempt})`);
    try {
      const done = await guardedRestart(target, cause, input);
      if (done.kind === 'failed') return;
      if (done.kind === 'skipped') {
        // Nothing was restarted, so nothing counts (unless a later attempt was queued meanwhile).
        ledger.undo(target.name, 'unhealthy', attempt);
        input.say(`${target.name}: not restarted after all (stopped, or started again, meanwhile)`);
        return;
      }
      input.say(`${target.name} restarted (pid ${done.pid}), cause: ${cause}`);
    } finally {
      if (replacing.get(target.name) === target.key) replacing.delete(target.name);
      loop.refresh();
    }
  };

  const loop = new HealthLoop({
    targets,
    probe,
    onEvent,
    scheduler: input.scheduler,
    syncMs: input.syncMs,
  });
  loop.start();

  return {
    sync: () => loop.refresh(),
    async stop() {
      stopped = true;
      queued = new Set();
      await loop.stop();
      await restarting;
      for (const name of written.keys()) removeHealthFile(stateDir(), name);
      written.clear();
    },
  };
}
