import type { Clock } from '../core/clock.js';
import { describeExit, exitKnown } from '../core/exit.js';
import {
  AUTO_PORT_TOKEN,
  type Failure,
  fail,
  ok,
  type ReadySpec,
  type Result,
  type ServiceExit,
} from '../core/model.js';
import { LogFollower, tailLines } from '../logs/tail-file.js';
import { createListenRounds, LISTEN_ROUND_MS, type ListenRounds } from '../runtime/listen-rounds.js';
import type { System } from '../runtime/system.js';
import { type Attempt, commandAttempt, httpAttempt, httpUrls, tcpAttempt } from './checks.js';

export { tailLines } from '../logs/tail-file.js';
// For the health checks (health-probe.ts): importing them from here keeps probe-checks in
// this lazy chunk instead of a chunk of its own that every waiting `up` would load too.
export { commandAttempt, httpAttempt, httpUrls, tcpAttempt } from './checks.js';

/**
 * Every probe default, in one place (process-compose's probe.go lesson): the manifest
 * layer fills `ReadySpec.timeout`/`interval`; the rest is fixed here.
 */
export const PROBE_DEFAULTS = {
  /** Ready timeout when the manifest says nothing. */
  timeoutMs: 30_000,
  /** First interval between attempts when the manifest says nothing. */
  intervalMs: 100,
  /**
   * Each wait is 1.5× the previous, up to 250 ms: quick for fast servers, gentle for slow
   * ones. The cap is how late `up` may notice a port that just opened; at 1 s the e2e test
   * measured ~450 ms from the opening to `up` exiting, at 250 ms the attempts still cost
   * only four connects a second.
   */
  backoffFactor: 1.5,
  maxIntervalMs: 250,
  /** One TCP connect / HTTP GET; capped by the time left. */
  attemptTimeoutMs: 2_000,
  /** Floor for an attempt's timeout near the deadline. */
  minAttemptMs: 200,
  /** One readiness command run. */
  commandTimeoutMs: 10_000,
  /**
   * `alive`: a service without port or probe is ready once it has stayed up this long.
   * A wrong flag, a missing module or a syntax error kills a program within tens of ms
   * (Python with imports: ~100–250 ms here); 300 ms catches those without making a
   * healthy start feel slow (starts run in parallel, so it is paid once, not per service).
   */
  aliveStartPeriodMs: 300,
  /** Liveness is checked this often even between slow attempts: a death fails the wait at once. */
  deathCheckMs: 50,
  /**
   * With a port, the kernel's table of listening sockets is looked at this often between
   * attempts (one read per round, shared by all waiters: listen-rounds.ts): the moment the
   * port is listening, the next attempt runs, so `up` notices an opened port within this,
   * not a whole backed-off interval.
   */
  listenCheckMs: LISTEN_ROUND_MS,
  /** Log lines attached to a failure. */
  failureTailLines: 20,
} as const;

export interface WaitReadyInput {
  ready: ReadySpec;
  port: number | null;
  pid: number;
  logPath: string;
  /** Log size at spawn time: the log probe looks only at lines written after it. */
  logOffset: number;
  /** For the `command` probe: run in the service's folder … */
  cwd?: string;
  /** … with the service's environment (defaults to this process's). */
  env?: Record<string, string | undefined>;
  /** How the process ended, once dead, when the caller is its parent (spawn.ts childExitWithin). */
  exitOf?: () => Promise<ServiceExit | undefined>;
}

export interface WaitReadyDeps {
  system: System;
  clock: Clock;
  /** Whether the service's process is still alive (identity-checked by the caller; zombie = dead). */
  isAlive: () => boolean;
  /**
   * The socket-table rounds shared by every wait of one converge, so N waits cost one read
   * of the table per round, not N; a wait without it has rounds of its own.
   */
  listen?: ListenRounds;
}

/**
 * Waits until the service is ready: alive AND its probe passes. Fails at once (within
 * `deathCheckMs`) with `service-failed` and the last log lines when the process dies,
 * and with a message naming the probe and the elapsed time when the timeout runs out.
 */
export async function waitReady(input: WaitReadyInput, deps: WaitReadyDeps): Promise<Result<{ ms: number }>> {
  const { clock, isAlive } = deps;
  const started = clock.now();
  const timeout = input.ready.timeout > 0 ? input.ready.timeout : PROBE_DEFAULTS.timeoutMs;
  const deadline = started + timeout;
  const probe = makeProbe(input, started, clock);
  if (!probe.ok) return probe;
  const kind = input.ready.check.kind;
  const port = kind === 'tcp' || kind === 'http' ? input.port : null;
  const rounds = deps.listen ?? createListenRounds(deps.system, clock);
  // The latest look at the socket table, shared with every wait asking in the same round;
  // it is the tcp probe's answer and tells when an http probe is worth retrying early.
  // undefined: no port to watch, or no table to read.
  let listening = port === null ? undefined : await rounds.look(port);
  let interval = input.ready.interval > 0 ? input.ready.interval : PROBE_DEFAULTS.intervalMs;
  // A manifest interval above the cap is honoured as is; only the backoff is capped.
  const maxInterval = Math.max(interval, PROBE_DEFAULTS.maxIntervalMs);
  let last: Attempt | undefined;

  for (;;) {
    if (!isAlive()) return fail(await died(input, clock.now() - started));
    const remaining = deadline - clock.now();
    // The last attempt may overrun the deadline a little rather than time out in 1 ms and
    // report nothing useful.
    const attemptTimeout = Math.min(
      probe.value.attemptTimeout,
      Math.max(PROBE_DEFAULTS.minAttemptMs, remaining),
    );
    const attempt = await probe.value.attempt(attemptTimeout, listening);
    // Keep the most telling failure: an answer (503) says more than a later timeout.
    if (
      attempt.ok ||
      attempt.failure.kind !== 'timeout' ||
      last === undefined ||
      (!last.ok && last.failure.kind === 'timeout')
    )
      last = attempt;
    if (last.ok && isAlive()) return ok({ ms: Math.round(clock.now() - started) });
    if (!isAlive()) return fail(await died(input, clock.now() - started));
    if (clock.now() >= deadline) break;
    // Sleep the interval in slices so a death between attempts is noticed at once.
    const wakeAt = Math.min(deadline, clock.now() + interval, probe.value.wakeBy ?? Number.POSITIVE_INFINITY);
    // Until the port listens, each slice is a shared round of the table (listenCheckMs).
    // Only the change from "not listening" to "listening" cuts a wait short; a port that
    // listens but answers 503 is retried at the regular, backed-off pace.
    const polling = port !== null && listening === false;
    while (clock.now() < wakeAt) {
      if (polling) listening = await rounds.nextRound(port);
      else await clock.sleep(Math.min(PROBE_DEFAULTS.deathCheckMs, wakeAt - clock.now()));
      if (!isAlive()) return fail(await died(input, clock.now() - started));
      if (polling && listening !== false) break;
    }
    interval = Math.min(interval * PROBE_DEFAULTS.backoffFactor, maxInterval);
  }
  const elapsed = clock.now() - started;
  return fail({
    reason: 'service-failed',
    message: `not ready after ${seconds(elapsed)}: ${probe.value.name} did not pass (last: ${last?.detail ?? 'no attempt yet'})`,
    details: await tailLines(input.logPath, PROBE_DEFAULTS.failureTailLines, input.logOffset),
  });
}

interface Probe {
  /** Shown in the timeout message: `http GET /health`, `tcp port 8501`, … */
  name: string;
  attemptTimeout: number;
  /** When the next attempt could first pass (the alive period's end): wake no later. */
  wakeBy?: number;
  /** `listening`: the latest look at the socket table for the port (undefined: none). */
  attempt(timeoutMs: number, listening: boolean | undefined): Promise<Attempt>;
}

function makeProbe(input: WaitReadyInput, started: number, clock: Clock): Result<Probe> {
  const { check } = input.ready;
  const port = input.port;
  switch (check.kind) {
    case 'tcp':
      if (port === null) return fail(misconfigured('the tcp ready check needs a port'));
      return ok({
        name: `tcp port ${port}`,
        attemptTimeout: PROBE_DEFAULTS.attemptTimeoutMs,
        // A port in the kernel's LISTEN table accepts connections (the kernel completes the
        // handshake), and one that is not there refuses them: the table answers either way,
        // without a connect. Connecting while ten servers boot was CPU taken from their
        // start on a 2-core machine. Only where the table cannot be read does a real
        // connect decide.
        attempt: (t, listening) => {
          if (listening === undefined) return tcpAttempt(port, t);
          return Promise.resolve(
            listening
              ? { ok: true, detail: `port ${port} is listening` }
              : { ok: false, failure: { kind: 'not-yet' }, detail: `nothing listens on port ${port} yet` },
          );
        },
      });
    case 'http': {
      const target = port === null ? check.target : check.target.split(AUTO_PORT_TOKEN).join(String(port));
      const urls = httpUrls(target, port);
      if (!urls) return fail(misconfigured(`the http ready check ${target} needs a port or a full URL`));
      return ok({
        name: `http GET ${urls[0]}`,
        attemptTimeout: PROBE_DEFAULTS.attemptTimeoutMs,
        attempt: (t) => httpAttempt(urls, t),
      });
    }
    case 'log': {
      let pattern: RegExp;
      // Validation compiles the pattern the same way (manifest/value-rules.ts); this guard
      // only keeps a Desired that skipped it from throwing here.
      try {
        pattern = new RegExp(check.pattern);
      } catch (error) {
        return fail(
          misconfigured(`ready.log is not a valid regular expression: ${(error as Error).message}`),
        );
      }
      const follower = new LogFollower(input.logPath, input.logOffset);
      return ok({
        name: `log /${check.pattern}/`,
        attemptTimeout: PROBE_DEFAULTS.attemptTimeoutMs,
        attempt: async () => {
          const lines = await follower.readNew();
          const hit = lines.find((line) => pattern.test(line));
          return hit === undefined
            ? { ok: false, failure: { kind: 'not-yet' }, detail: 'no matching line yet' }
            : { ok: true, detail: hit };
        },
      });
    }
    case 'command': {
      const env = input.env ?? process.env;
      const cwd = input.cwd ?? process.cwd();
      const command = check.command;
      return ok({
        name: `command ${Array.isArray(command) ? command.join(' ') : command}`,
        attemptTimeout: PROBE_DEFAULTS.commandTimeoutMs,
        attempt: (t) => commandAttempt(command, cwd, env, t),
      });
    }
    case 'alive':
      return ok({
        name: `alive for ${PROBE_DEFAULTS.aliveStartPeriodMs} ms`,
        attemptTimeout: PROBE_DEFAULTS.aliveStartPeriodMs,
        wakeBy: started + PROBE_DEFAULTS.aliveStartPeriodMs,
        attempt: async () => {
          const up = clock.now() - started;
          return up >= PROBE_DEFAULTS.aliveStartPeriodMs
            ? { ok: true, detail: `alive for ${Math.round(up)} ms` }
            : { ok: false, failure: { kind: 'not-yet' }, detail: `alive for ${Math.round(up)} ms only` };
        },
      });
  }
}

/** `exited with code 3 after 0.2 s while starting (pid …); last lines of …:`, or `killed by SIGSEGV …`. */
async function died(input: WaitReadyInput, elapsed: number): Promise<Failure> {
  const exit = await input.exitOf?.();
  const known = exit !== undefined && exitKnown(exit);
  const how = known ? describeExit(exit) : 'exited';
  const pid = `pid ${input.pid}${known ? '' : ', exit code unknown'}`;
  return {
    reason: 'service-failed',
    message: `${how} after ${(elapsed / 1000).toFixed(1)} s while starting (${pid}); last lines of ${input.logPath}:`,
    details: await tailLines(input.logPath, PROBE_DEFAULTS.failureTailLines, input.logOffset),
  };
}

function misconfigured(message: string): Failure {
  return { reason: 'service-failed', message };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
