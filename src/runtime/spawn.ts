import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { describeExit } from '../core/exit.js';
import {
  AUTO_PORT_TOKEN,
  type Failure,
  fail,
  ok,
  type RecordedPlace,
  type Result,
  type ServiceExit,
  type ServiceSpec,
} from '../core/model.js';
import { prepareCommand } from './command-line.js';
import type { PreparedPlace } from './place/prepare.js';
import { getSystem, type System } from './system.js';

export interface SpawnInput {
  spec: ServiceSpec;
  /** The port to give the service (`PORT`), already chosen when the spec says `auto`. */
  port: number | null;
  projectId: string;
  project: string;
  /** The caller's environment; the manifest's env goes on top. */
  baseEnv: Record<string, string | undefined>;
  /**
   * A line written to the log just before the process starts (a one-shot task's
   * `── run at … ──`): runs appended to one file stay told apart. logOffset is after it.
   */
  banner?: string;
}

/** What a run record needs from a fresh process; the caller adds name, hash, restarts. */
export interface SpawnedService {
  pid: number;
  pgid: number;
  sid: number;
  startTime: string;
  bootId: string;
  /** ISO-8601. */
  startedAt: string;
  port: number | null;
  /** The exact argv executed (after `${PORT}` replacement and the `exec` prefix). */
  argv: string[];
  logPath: string;
  /** Size of the log when the service started: the log probe reads only what follows. */
  logOffset: number;
  /** Where it runs to hold its limits (runtime/place/); absent without limits. */
  place?: RecordedPlace;
}

export interface SpawnDeps {
  system?: System;
  clock?: Clock;
}

const childExits = new Map<number, Promise<ServiceExit>>();

/**
 * How a service this process spawned (and is still the parent of) ended: its exit code,
 * or the signal that killed it, and when. Resolves once Node has reaped it, which comes a
 * moment after /proc already shows it dead. undefined for a PID this process did not
 * spawn. Kept for the life of the process (one entry per spawn), since every liveness
 * tick may ask again.
 */
export function childExit(pid: number): Promise<ServiceExit> | undefined {
  return childExits.get(pid);
}

/**
 * {@link childExit}, waited for at most `ms`: /proc shows a child dead a moment before Node
 * reaps it and reports the code, so a caller that saw it dead waits for that report
 * rather than call the exit unknown. undefined: not our child, or no report in time.
 */
export async function childExitWithin(pid: number, ms = 1000): Promise<ServiceExit | undefined> {
  const exit = childExit(pid);
  if (exit === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts one service detached: it leads its own session and process group (so a stop can
 * signal the whole group and the CLI can exit at once), stdin is closed, stdout and
 * stderr append to the log file. Every process of the service inherits
 * `UIPROCS_PROJECT`/`UIPROCS_SERVICE`, which is how stop finds descendants that escaped
 * the group. The identity (pid, pgid, sid, start time, boot id) is read back through the
 * System so the record can later prove the PID is still ours.
 *
 * Node's own `child_process.spawn`, not execa: a detached child whose stdio is a file
 * descriptor uses none of execa's piping, buffering, promise or cleanup, and importing
 * execa cost ~130 ms on these machines, more than the rest of `up`'s own work together.
 */
export async function spawnService(input: SpawnInput, deps: SpawnDeps = {}): Promise<Result<SpawnedService>> {
  const { spec, port } = input;
  const system = deps.system ?? getSystem();
  const clock = deps.clock ?? systemClock;
  const env = serviceEnv(input);
  const prepared = prepareCommand(spec.command, port, spec.cwd, env);
  if (!prepared.ok) return prepared;
  // A service with limits runs in its place (a cgroup, a systemd scope, rlimits), joined
  // by a wrapper that execs the command: loaded only for such a service.
  let placed: PreparedPlace | undefined;
  if (spec.limits !== undefined) {
    const { preparePlace } = await import('./place/prepare.js');
    const made = preparePlace(spec, input.projectId, input.baseEnv);
    if (!made.ok) return made;
    placed = made.value;
  }
  const { file, args } = placed ? placed.wrap(prepared.value.file, prepared.value.args) : prepared.value;

  // stdout and stderr go to the same file through two opens of it: each its own file
  // position, which after an O_APPEND write is where that stream's last write ended. So the
  // stamper (duties/log-stamps.ts) can tell, from /proc/<pid>/fdinfo/1 and /2, which stream
  // wrote which bytes; the file's contents are what one shared descriptor would give.
  let logFd: number | undefined;
  let errFd: number | undefined;
  let logOffset: number;
  try {
    mkdirSync(dirname(spec.log.path), { recursive: true });
    logFd = openSync(spec.log.path, 'a');
    errFd = openSync(spec.log.path, 'a');
    if (input.banner !== undefined) writeSync(logFd, `${input.banner}\n`);
    logOffset = fstatSync(logFd).size;
  } catch (error) {
    for (const fd of [logFd, errFd]) if (fd !== undefined) closeSync(fd);
    return fail({ reason: 'io', message: `cannot open log ${spec.log.path}: ${errorText(error)}` });
  }

  let pid: number | undefined;
  let spawnError: string | undefined;
  try {
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env,
      detached: true,
      // The log descriptor is handed to the child as is: nothing is piped through this
      // process, which is about to exit.
      stdio: ['ignore', logFd, errFd],
    });
    pid = child.pid;
    // ENOENT/EACCES arrive as an 'error' event (pid undefined); nobody else listens for it.
    child.once('error', (error) => {
      spawnError = errorText(error);
    });
    // The CLI is the service's parent until it exits: Node reaps the child (no zombie)
    // and a long-lived caller (watch) learns the exit code. unref: never kept waiting.
    if (child.pid !== undefined) {
      childExits.set(
        child.pid,
        new Promise((resolve) =>
          child.once('exit', (code, signal) =>
            resolve({ code: signal === null ? code : null, signal, finishedAt: new Date().toISOString() }),
          ),
        ),
      );
    }
    child.unref();
  } catch (error) {
    spawnError = errorText(error);
  } finally {
    // The child holds its own copies of the descriptors; ours are no longer needed.
    closeSync(logFd);
    closeSync(errFd);
  }
  if (pid === undefined) {
    // The reason (ENOENT, EACCES…) arrives as an 'error' event on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    return fail(failedToStart(spec.name, spawnError ?? 'spawn returned no pid'));
  }

  const identity = await readBack(system, clock, pid);
  if (!identity) {
    const exit = await childExitWithin(pid);
    const how = exit === undefined ? 'exited' : describeExit(exit);
    return fail(failedToStart(spec.name, `process ${pid} ${how} before it could be recorded`));
  }
  const place = placed && (await placed.settle(pid, clock));
  return ok({
    ...identity,
    bootId: system.bootId(),
    startedAt: new Date().toISOString(),
    port,
    argv: [prepared.value.file, ...prepared.value.args],
    logPath: spec.log.path,
    logOffset,
    ...(place !== undefined ? { place } : {}),
  });
}

/** baseEnv, then the manifest's env, then PORT and the service tag (which nothing may override). */
export function serviceEnv(input: SpawnInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.baseEnv)) if (value !== undefined) env[key] = value;
  const portText = input.port === null ? undefined : String(input.port);
  for (const [key, value] of Object.entries(input.spec.env)) {
    env[key] = portText === undefined ? value : value.split(AUTO_PORT_TOKEN).join(portText);
  }
  if (portText !== undefined) env.PORT = portText;
  env.UIPROCS_PROJECT = input.projectId;
  env.UIPROCS_SERVICE = input.spec.name;
  return env;
}

/**
 * The child is in the process table as soon as spawn returns, and libuv reports the spawn
 * only after exec (so after setsid); still, retry briefly rather than trust a single read.
 * A zombie here means the service died at once: still return its identity, so the ready
 * wait reports the failure with its log lines.
 */
export async function readBack(
  system: System,
  clock: Clock,
  pid: number,
): Promise<{ pid: number; pgid: number; sid: number; startTime: string } | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = system.proc(pid);
    if (info && info.pgid === pid && info.sid === pid) {
      return { pid, pgid: info.pgid, sid: info.sid, startTime: info.startTime };
    }
    if (!info && attempt > 5) return undefined;
    await clock.sleep(10);
  }
  const info = system.proc(pid);
  return info ? { pid, pgid: info.pgid, sid: info.sid, startTime: info.startTime } : undefined;
}

function failedToStart(name: string, why: string): Failure {
  return { reason: 'service-failed', message: `${name} did not start: ${why}` };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
