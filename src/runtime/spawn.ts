import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { AUTO_PORT_TOKEN, type Failure, fail, ok, type Result, type ServiceSpec } from '../core/model.js';
import { prepareCommand } from './command-line.js';
import { getSystem, type System } from './system.js';

export interface SpawnInput {
  spec: ServiceSpec;
  /** The port to give the service (`PORT`), already chosen when the spec says `auto`. */
  port: number | null;
  projectId: string;
  project: string;
  /** The caller's environment; the manifest's env goes on top. */
  baseEnv: Record<string, string | undefined>;
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
}

export interface SpawnDeps {
  system?: System;
  clock?: Clock;
}

/**
 * Starts one service detached: it leads its own session and process group (so a stop can
 * signal the whole group and the CLI can exit at once), stdin is closed, stdout and
 * stderr append to the log file. Every process of the service inherits
 * `UIPROCS_PROJECT`/`UIPROCS_SERVICE`, which is how stop finds descendants that escaped
 * the group. The identity (pid, pgid, sid, start time, boot id) is read back through the
 * System so the record can later prove the PID is still ours.
 *
 * execa is imported lazily: it costs ~130 ms to import on these machines, and read-only
 * commands (ps, logs) never spawn.
 */
export async function spawnService(input: SpawnInput, deps: SpawnDeps = {}): Promise<Result<SpawnedService>> {
  const { spec, port } = input;
  const system = deps.system ?? getSystem();
  const clock = deps.clock ?? systemClock;
  const env = serviceEnv(input);
  const prepared = prepareCommand(spec.command, port, spec.cwd, env);
  if (!prepared.ok) return prepared;
  const { file, args } = prepared.value;

  let logFd: number;
  let logOffset: number;
  try {
    mkdirSync(dirname(spec.log.path), { recursive: true });
    logFd = openSync(spec.log.path, 'a');
    logOffset = fstatSync(logFd).size;
  } catch (error) {
    return fail({ reason: 'io', message: `cannot open log ${spec.log.path}: ${errorText(error)}` });
  }

  let pid: number | undefined;
  let spawnError: string | undefined;
  try {
    const { execa } = await import('execa');
    const subprocess = execa(file, args, {
      cwd: spec.cwd,
      env,
      extendEnv: false,
      detached: true,
      // The service must outlive uiprocs: no kill on parent exit, no buffering, no timeout.
      cleanup: false,
      buffer: false,
      stdin: 'ignore',
      // A raw descriptor is handed to the child as is (no piping through this process, which
      // is about to exit). execa's types only list the literals 1–9, hence the cast.
      stdout: logFd as 3,
      stderr: logFd as 3,
      reject: false,
    });
    pid = subprocess.pid;
    subprocess.unref();
    // Nobody awaits the service; its result (or a spawn error) must not be an unhandled rejection.
    subprocess.then(
      (result) => {
        if (result.failed && result.exitCode === undefined && result.signal === undefined) {
          spawnError = result.shortMessage;
        }
      },
      () => {},
    );
  } catch (error) {
    spawnError = errorText(error);
  } finally {
    // The child holds its own copy of the descriptor; ours is no longer needed.
    closeSync(logFd);
  }
  if (pid === undefined) {
    return fail(failedToStart(spec.name, spawnError ?? 'spawn returned no pid'));
  }

  const identity = await readBack(system, clock, pid);
  if (!identity) return fail(failedToStart(spec.name, `process ${pid} exited before it could be recorded`));
  return ok({
    ...identity,
    bootId: system.bootId(),
    startedAt: new Date().toISOString(),
    port,
    argv: [file, ...args],
    logPath: spec.log.path,
    logOffset,
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
async function readBack(
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
